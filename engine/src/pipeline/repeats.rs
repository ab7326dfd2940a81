//! Which parts of a model's plan to compute once ([`shared_parts`]), for
//! [`super::shared`].
//!
//! The plan is read once into an arena in which every subtree gets the number of its
//! class: equal subtrees (the same common table expression planned into two places)
//! share a class. The choice then works on class numbers: each round counts the
//! occurrences of every class, entering each part already taken once (it is computed
//! once), and takes the largest class that occurs more than once and is worth keeping,
//! unless it holds one read more often, which it takes first.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};

/// The subtrees of `plan` worth computing once, each before any that contains it.
///
/// The largest subtree that occurs more than once is taken first; then, counting what
/// lies inside a taken subtree once, the largest of the rest that still occurs more than
/// once (a common table expression read by two others that are both shared), and so on
/// until none is left. A part inside the largest that is read more often than it is
/// taken before it.
pub fn shared_parts(plan: &LogicalPlan) -> Vec<LogicalPlan> {
    let tree = Tree::new(plan);
    let mut taken: Vec<usize> = Vec::new();
    let mut taken_set: HashSet<usize> = HashSet::new();
    let mut worth: HashMap<(usize, usize), bool> = HashMap::new();
    loop {
        let counts = tree.counts(&taken_set);
        let mut found: Vec<usize> = Vec::new();
        tree.pick(
            0,
            &counts,
            &taken_set,
            &mut HashSet::new(),
            &mut worth,
            &mut found,
        );
        let Some(&largest) = found.iter().max_by_key(|&&n| tree.size[n]) else {
            break;
        };
        let part = tree.more_read_inside(largest, &counts, &taken_set, &mut worth);
        taken.push(tree.class[part]);
        taken_set.insert(tree.class[part]);
    }
    let mut parts: Vec<usize> = taken.iter().map(|&c| tree.first[c]).collect();
    // A subtree is smaller than any that contains it.
    parts.sort_by_key(|&n| tree.size[n]);
    parts.into_iter().map(|n| tree.plans[n].clone()).collect()
}

/// A plan's subtrees by number (the root is 0; pre-order), each with its class.
struct Tree<'a> {
    plans: Vec<&'a LogicalPlan>,
    children: Vec<Vec<usize>>,
    size: Vec<usize>,
    class: Vec<usize>,
    /// The first subtree of each class.
    first: Vec<usize>,
    /// Whether each class calls nothing unstable and reads no enclosing query.
    stable: Vec<bool>,
}

impl<'a> Tree<'a> {
    fn new(plan: &'a LogicalPlan) -> Self {
        let mut tree = Tree {
            plans: Vec::new(),
            children: Vec::new(),
            size: Vec::new(),
            class: Vec::new(),
            first: Vec::new(),
            stable: Vec::new(),
        };
        tree.add(plan, &mut HashMap::new());
        tree
    }

    fn add(&mut self, plan: &'a LogicalPlan, classes: &mut HashMap<u64, Vec<usize>>) -> usize {
        let n = self.plans.len();
        self.plans.push(plan);
        self.children.push(Vec::new());
        self.size.push(1);
        self.class.push(0);
        let children: Vec<usize> = (plan.inputs().into_iter())
            .map(|input| self.add(input, classes))
            .collect();
        self.size[n] = 1 + children.iter().map(|&c| self.size[c]).sum::<usize>();
        self.children[n] = children;
        let mut hasher = DefaultHasher::new();
        plan.hash(&mut hasher);
        let same_hash = classes.entry(hasher.finish()).or_default();
        let class = match (same_hash.iter()).find(|&&c| self.plans[self.first[c]] == plan) {
            Some(&c) => c,
            None => {
                let c = self.first.len();
                self.first.push(n);
                self.stable.push(stable(plan));
                same_hash.push(c);
                c
            }
        };
        self.class[n] = class;
        n
    }

    /// Occurrences of each class, entering each taken class once.
    fn counts(&self, taken: &HashSet<usize>) -> Vec<usize> {
        let mut counts = vec![0; self.first.len()];
        let mut entered = HashSet::new();
        let mut stack = vec![0];
        while let Some(n) = stack.pop() {
            let class = self.class[n];
            counts[class] += 1;
            if taken.contains(&class) && !entered.insert(class) {
                continue;
            }
            stack.extend(&self.children[n]);
        }
        counts
    }

    /// The largest subtrees not yet taken that occur more than once and are worth
    /// keeping.
    fn pick(
        &self,
        n: usize,
        counts: &[usize],
        taken: &HashSet<usize>,
        entered: &mut HashSet<usize>,
        worth: &mut HashMap<(usize, usize), bool>,
        out: &mut Vec<usize>,
    ) {
        let class = self.class[n];
        if taken.contains(&class) {
            if !entered.insert(class) {
                return;
            }
        } else if counts[class] > 1 && self.candidate(n, taken, worth) {
            if !out.iter().any(|&o| self.class[o] == class) {
                out.push(n);
            }
            return;
        }
        for &child in &self.children[n] {
            self.pick(child, counts, taken, entered, worth, out);
        }
    }

    /// The largest part inside `n` worth keeping and read more often than `n`, searched
    /// again inside it; or `n` when there is none.
    fn more_read_inside(
        &self,
        n: usize,
        counts: &[usize],
        taken: &HashSet<usize>,
        worth: &mut HashMap<(usize, usize), bool>,
    ) -> usize {
        let times = counts[self.class[n]];
        let mut best: Option<usize> = None;
        let mut stack: Vec<usize> = self.children[n].clone();
        while let Some(m) = stack.pop() {
            if taken.contains(&self.class[m]) {
                continue;
            }
            if counts[self.class[m]] > times
                && best.is_none_or(|b| self.size[m] > self.size[b])
                && self.candidate(m, taken, worth)
            {
                best = Some(m);
            }
            stack.extend(&self.children[m]);
        }
        match best {
            Some(inner) => self.more_read_inside(inner, counts, taken, worth),
            None => n,
        }
    }

    /// Whether `n` may be taken: not an alias (what it names is taken, read under every
    /// alias), stable, and costly (it joins, aggregates or computes a window outside
    /// the parts taken, which are computed once anyway). Remembered per class and
    /// number of parts taken (the set only grows).
    fn candidate(
        &self,
        n: usize,
        taken: &HashSet<usize>,
        worth: &mut HashMap<(usize, usize), bool>,
    ) -> bool {
        let class = self.class[n];
        if matches!(self.plans[n], LogicalPlan::SubqueryAlias(_)) || !self.stable[class] {
            return false;
        }
        *worth
            .entry((class, taken.len()))
            .or_insert_with(|| self.costly(n, taken))
    }

    fn costly(&self, n: usize, taken: &HashSet<usize>) -> bool {
        let mut stack = vec![n];
        while let Some(m) = stack.pop() {
            if m != n && taken.contains(&self.class[m]) {
                continue;
            }
            if matches!(
                self.plans[m],
                LogicalPlan::Aggregate(_) | LogicalPlan::Join(_) | LogicalPlan::Window(_)
            ) {
                return true;
            }
            stack.extend(&self.children[m]);
        }
        false
    }
}

/// Whether `plan` (with its subqueries) calls nothing whose result may change between
/// calls and reads no column of an enclosing query: computing it once gives the rows of
/// computing it in each place.
fn stable(plan: &LogicalPlan) -> bool {
    let mut safe = true;
    let _ = plan.apply_with_subqueries(|node| {
        for expr in node.expressions() {
            let _ = expr.apply(|e| {
                let unstable = matches!(e, Expr::ScalarFunction(f)
                    if f.func.signature().volatility != Volatility::Immutable);
                if unstable || matches!(e, Expr::OuterReferenceColumn(..)) {
                    safe = false;
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            });
        }
        Ok(if safe {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    safe
}

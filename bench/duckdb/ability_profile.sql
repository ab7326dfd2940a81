-- DuckDB version of queries/talent/ability_profile.sql, run by bench/crosscheck.py in its place.
-- Why it differs:
--   DataFusion's ordered aggregates last_value(x order by ...) and first_value(x order by ...)
--   are window functions only in DuckDB, whose aggregates last(x order by ...) and
--   first(x order by ...) do the same (both keep NULLs, both honour FILTER).
-- Nothing else is changed: the meaning is the original's. Keep it in step with the
-- original; the next line is the sha256 of the original's SQL (comment lines and blank
-- space left out), and crosscheck.py reports the model stale when they part.
-- source-sha256: 8efd0b823b04692bd0f4500edea344f077947e6c41d61b64941c5140cdb78577

with workers as (
    select worker_id, region_code, occupation_code
    from stg_workers
    where occupation_code is not null
),

dimensions as (
    select occupation_code, dimension_code, name as dimension_name
    from ref_dimensions
),

assessments as (
    select event_id, worker_id, occupation_code, taken_at
    from stg_assessment_results
),

dimension_scores as (
    select event_id, dimension_code, score_pct
    from stg_assessment_dimension_scores
    where score_pct is not null
),

training as (
    select worker_id, course_id, course_name, occupation_code, completed_at
    from stg_training_records
    where completed
),

courses as (
    select course_id, course_name, occupation_code
    from ref_courses
),

-- Each current worker's assessments in their own occupation.
own_assessments as (
    select a.event_id, a.worker_id, a.taken_at
    from assessments a
    join workers w on w.worker_id = a.worker_id and w.occupation_code = a.occupation_code
),

-- The latest score per dimension is read in two steps, so that the dimension scores
-- are joined to a few assessments only: first the scores at each worker's latest
-- assessment time (the best of several there) ...
last_taken as (
    select worker_id, max(taken_at) as taken_at
    from own_assessments
    group by worker_id
),

at_last as (
    select o.worker_id, d.dimension_code, max(d.score_pct) as score
    from own_assessments o
    join last_taken l on l.worker_id = o.worker_id and l.taken_at = o.taken_at
    join dimension_scores d on d.event_id = o.event_id
    group by o.worker_id, d.dimension_code
),

-- ... then, for a dimension of the worker's occupation not scored then, the latest
-- earlier assessment that scored it.
unscored_at_last as (
    select w.worker_id, m.dimension_code
    from last_taken l
    join workers w on w.worker_id = l.worker_id
    join dimensions m on m.occupation_code = w.occupation_code
    left join at_last s on s.worker_id = w.worker_id and s.dimension_code = m.dimension_code
    where s.worker_id is null
),

earlier as (
    select
        u.worker_id,
        u.dimension_code,
        last(d.score_pct order by o.taken_at, d.score_pct) as score
    from unscored_at_last u
    join own_assessments o on o.worker_id = u.worker_id
    join dimension_scores d on d.event_id = o.event_id and d.dimension_code = u.dimension_code
    group by u.worker_id, u.dimension_code
),

latest as (
    select worker_id, dimension_code, score from at_last
    union all
    select worker_id, dimension_code, score from earlier
),

-- Every dimension of the worker's occupation beside the worker's latest score on it.
grid as (
    select
        w.worker_id,
        w.occupation_code,
        w.region_code,
        d.dimension_code,
        d.dimension_name,
        l.score
    from workers w
    join dimensions d on d.occupation_code = w.occupation_code
    left join latest l on l.worker_id = w.worker_id and l.dimension_code = d.dimension_code
),

-- The medians of the latest scores (unscored rows left out) ...
occupation_medians as (
    select occupation_code, dimension_code, median(score) as occupation_median
    from grid
    group by occupation_code, dimension_code
),

region_medians as (
    select region_code, occupation_code, dimension_code, median(score) as region_median
    from grid
    group by region_code, occupation_code, dimension_code
),

-- ... the percentile from how many of the occupation's workers got each score on a
-- dimension and how many got less (percent_rank, without sorting every worker) ...
score_counts as (
    select occupation_code, dimension_code, score, count(*) as workers
    from grid
    where score is not null
    group by occupation_code, dimension_code, score
),

percentiles as (
    select
        occupation_code,
        dimension_code,
        score,
        sum(workers) over (partition by occupation_code, dimension_code order by score)
            - workers as lower,
        sum(workers) over (partition by occupation_code, dimension_code) as scored
    from score_counts
),

-- ... and the rank of each scored dimension within the worker (by score, then code) and
-- whether none is lower, from the pairs of the worker's scored dimensions.
scored as (
    select worker_id, dimension_code, score
    from grid
    where score is not null
),

ranks as (
    select
        a.worker_id,
        a.dimension_code,
        count(*) filter (
            where b.score < a.score or (b.score = a.score and b.dimension_code <= a.dimension_code)
        ) as dimension_rank,
        count(*) filter (where b.score < a.score) = 0 as weakest
    from scored a
    join scored b on b.worker_id = a.worker_id
    group by a.worker_id, a.dimension_code
),

-- Course effects: each completed course, with the occupation of the course where the
-- record has none.
completions as (
    select
        t.worker_id,
        t.course_id,
        coalesce(t.occupation_code, c.occupation_code) as occupation_code,
        t.completed_at
    from training t
    left join courses c on c.course_id = t.course_id
),

-- Course samples: per completion and dimension of the course's occupation, the score
-- in the worker's latest assessment before the completion that scored the dimension and
-- in the first after it (the best score if several share a time). Read, like `latest`,
-- first at the latest assessment time before and the first after ...
completion_times as (
    select
        c.worker_id,
        c.course_id,
        c.occupation_code,
        c.completed_at,
        max(a.taken_at) filter (where a.taken_at < c.completed_at) as before_at,
        min(a.taken_at) filter (where a.taken_at > c.completed_at) as after_at
    from completions c
    join assessments a on a.worker_id = c.worker_id and a.occupation_code = c.occupation_code
    group by c.worker_id, c.course_id, c.occupation_code, c.completed_at
),

at_completion as (
    select
        t.worker_id,
        t.course_id,
        t.occupation_code,
        t.completed_at,
        d.dimension_code,
        max(d.score_pct) filter (where a.taken_at = t.before_at) as before_score,
        max(d.score_pct) filter (where a.taken_at = t.after_at) as after_score
    from completion_times t
    join assessments a
        on a.worker_id = t.worker_id
        and a.occupation_code = t.occupation_code
        and (a.taken_at = t.before_at or a.taken_at = t.after_at)
    join dimension_scores d on d.event_id = a.event_id
    join dimensions m on m.occupation_code = t.occupation_code and m.dimension_code = d.dimension_code
    group by t.worker_id, t.course_id, t.occupation_code, t.completed_at, d.dimension_code
),

-- ... then, for a dimension not scored at one of those times, from every assessment
-- of the worker in the occupation.
completion_gaps as (
    select t.worker_id, t.course_id, t.occupation_code, t.completed_at, m.dimension_code
    from completion_times t
    join dimensions m on m.occupation_code = t.occupation_code
    left join at_completion s
        on s.worker_id = t.worker_id
        and s.course_id = t.course_id
        and s.occupation_code = t.occupation_code
        and s.completed_at = t.completed_at
        and s.dimension_code = m.dimension_code
    where (t.before_at is not null and s.before_score is null)
        or (t.after_at is not null and s.after_score is null)
),

gap_samples as (
    select
        g.course_id,
        g.occupation_code,
        g.dimension_code,
        last(d.score_pct order by a.taken_at, d.score_pct)
            filter (where a.taken_at < g.completed_at) as before_score,
        first(d.score_pct order by a.taken_at, d.score_pct desc)
            filter (where a.taken_at > g.completed_at) as after_score
    from completion_gaps g
    join assessments a on a.worker_id = g.worker_id and a.occupation_code = g.occupation_code
    join dimension_scores d on d.event_id = a.event_id and d.dimension_code = g.dimension_code
    group by g.worker_id, g.course_id, g.occupation_code, g.completed_at, g.dimension_code
),

course_samples as (
    select s.course_id, s.occupation_code, s.dimension_code, s.before_score, s.after_score
    from at_completion s
    left join completion_gaps g
        on g.worker_id = s.worker_id
        and g.course_id = s.course_id
        and g.occupation_code = s.occupation_code
        and g.completed_at = s.completed_at
        and g.dimension_code = s.dimension_code
    where g.worker_id is null
    union all
    select course_id, occupation_code, dimension_code, before_score, after_score
    from gap_samples
),

course_effects as (
    select occupation_code, dimension_code, course_id, avg(after_score - before_score) as mean_improvement
    from course_samples
    where before_score is not null and after_score is not null
    group by occupation_code, dimension_code, course_id
),

best_courses as (
    select
        occupation_code,
        dimension_code,
        first(course_id order by mean_improvement desc, course_id) as course_id
    from course_effects
    where mean_improvement > 0
    group by occupation_code, dimension_code
),

course_names as (
    select t.course_id, coalesce(max(c.course_name), max(t.course_name)) as course_name
    from training t
    left join courses c on c.course_id = t.course_id
    group by t.course_id
),

suggestions as (
    select b.occupation_code, b.dimension_code, b.course_id, n.course_name
    from best_courses b
    left join course_names n on n.course_id = b.course_id
),

final as (
    select
        g.worker_id,
        g.occupation_code,
        g.region_code,
        g.dimension_code,
        g.dimension_name,
        g.score,
        om.occupation_median,
        rm.region_median,
        case
            when p.scored > 1 then cast(p.lower as double) / cast(p.scored - 1 as double)
            when p.scored = 1 then 0.0
        end as percentile,
        r.dimension_rank,
        coalesce(r.weakest, false) as weakest,
        s.course_id as suggested_course_id,
        s.course_name as suggested_course_name
    from grid g
    join occupation_medians om
        on om.occupation_code = g.occupation_code and om.dimension_code = g.dimension_code
    join region_medians rm
        on rm.region_code = g.region_code
        and rm.occupation_code = g.occupation_code
        and rm.dimension_code = g.dimension_code
    left join percentiles p
        on p.occupation_code = g.occupation_code
        and p.dimension_code = g.dimension_code
        and p.score = g.score
    left join ranks r on r.worker_id = g.worker_id and r.dimension_code = g.dimension_code
    left join suggestions s
        on s.occupation_code = g.occupation_code and s.dimension_code = g.dimension_code
)

select * from final

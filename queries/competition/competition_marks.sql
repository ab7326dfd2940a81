-- name: competition_marks
-- description: Each contestant's mark per competition, stage, criterion and aspect, after WorldSkills practice. A judgement aspect (kind J) is marked 0–3 by each judge of the panel: a judge who marked it more than once counts once, with the mean of their marks; mark = mean of the judges' marks / 3 × max_mark, judges = how many judges marked it (a missing judge is left out of the mean, not counted as 0). A measurement aspect (kind M) keeps its mark as given, the mean when there are several rows, and judges = 0. marks = the rows behind the mark. venue_id is where the aspect was marked (the greatest venue_id if rows disagree). An aspect's rows share kind and max_mark; the grain test fails when they do not.
-- grain: competition_id, stage, contestant_id, criterion, aspect
-- tests: not_null(venue_id, kind, max_mark, judges, marks, mark); accepted_values(kind: J|M)

with scores as (
    select
        competition_id, venue_id, contestant_id, stage, criterion, aspect,
        kind, judge_id, mark, max_mark
    from stg_competition_scores
),

judge_marks as (
    select
        competition_id, stage, contestant_id, criterion, aspect, max_mark, judge_id,
        max(venue_id) as venue_id,
        count(*) as marks,
        avg(mark) as judge_mark
    from scores
    where kind = 'J'
    group by competition_id, stage, contestant_id, criterion, aspect, max_mark, judge_id
),

judged as (
    select
        competition_id, stage, contestant_id, criterion, aspect,
        max(venue_id) as venue_id,
        'J' as kind,
        max_mark,
        count(*) as judges,
        sum(marks) as marks,
        avg(judge_mark) / 3.0 * max_mark as mark
    from judge_marks
    group by competition_id, stage, contestant_id, criterion, aspect, max_mark
),

measured as (
    select
        competition_id, stage, contestant_id, criterion, aspect,
        max(venue_id) as venue_id,
        'M' as kind,
        max_mark,
        cast(0 as bigint) as judges,
        count(*) as marks,
        avg(mark) as mark
    from scores
    where kind = 'M'
    group by competition_id, stage, contestant_id, criterion, aspect, max_mark
),

final as (
    select * from judged
    union all
    select * from measured
)

select * from final

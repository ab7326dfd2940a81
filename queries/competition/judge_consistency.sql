-- name: judge_consistency
-- description: How far a judging panel agrees, per competition, stage, contestant, criterion and judgement aspect (kind J): judges = how many judges marked it, lowest_mark and highest_mark = the lowest and highest judge's mark on the 0–3 scale (a judge who marked the aspect more than once counts once, with the mean of their marks, as in competition_marks), spread = highest_mark − lowest_mark, flagged = spread > 1 (a spread of exactly 1 is not flagged; a single judge has spread 0). venue_id as in competition_marks.
-- grain: competition_id, stage, contestant_id, criterion, aspect
-- tests: not_null(venue_id, judges, lowest_mark, highest_mark, spread, flagged)

with scores as (
    select competition_id, venue_id, contestant_id, stage, criterion, aspect, judge_id, mark
    from stg_competition_scores
    where kind = 'J'
),

judge_marks as (
    select
        competition_id, stage, contestant_id, criterion, aspect, judge_id,
        max(venue_id) as venue_id,
        avg(mark) as judge_mark
    from scores
    group by competition_id, stage, contestant_id, criterion, aspect, judge_id
),

panels as (
    select
        competition_id, stage, contestant_id, criterion, aspect,
        max(venue_id) as venue_id,
        count(*) as judges,
        min(judge_mark) as lowest_mark,
        max(judge_mark) as highest_mark
    from judge_marks
    group by competition_id, stage, contestant_id, criterion, aspect
),

final as (
    select
        panels.*,
        highest_mark - lowest_mark as spread,
        highest_mark - lowest_mark > 1.0 as flagged
    from panels
)

select * from final

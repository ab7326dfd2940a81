-- name: judge_bias
-- description: Each judge's bias against the panel, per competition and judge, over the judgement aspects (kind J) the judge marked. A judge's mark on an aspect is on the 0–3 scale (the mean of their marks if they marked it more than once); the panel median is the median of the panel's judges' marks on that aspect (of an even count, such as two judges: the mean of the two middle values). aspects_judged = the aspects the judge marked; mean_bias = the mean of (judge's mark − panel median), positive for a lenient judge and negative for a strict one; mean_abs_deviation = the mean of |judge's mark − panel median|. Marks without a judge_id count in the panel median but have no row here.
-- grain: competition_id, judge_id
-- tests: not_null(aspects_judged, mean_bias, mean_abs_deviation)

with scores as (
    select competition_id, contestant_id, stage, criterion, aspect, judge_id, mark
    from stg_competition_scores
    where kind = 'J'
),

judge_marks as (
    select
        competition_id, stage, contestant_id, criterion, aspect, judge_id,
        avg(mark) as judge_mark
    from scores
    group by competition_id, stage, contestant_id, criterion, aspect, judge_id
),

panel_medians as (
    select
        competition_id, stage, contestant_id, criterion, aspect,
        median(judge_mark) as panel_median
    from judge_marks
    group by competition_id, stage, contestant_id, criterion, aspect
),

deviations as (
    select
        j.competition_id,
        j.judge_id,
        j.judge_mark - p.panel_median as deviation
    from judge_marks j
    join panel_medians p
        on p.competition_id = j.competition_id
        and p.stage = j.stage
        and p.contestant_id = j.contestant_id
        and p.criterion = j.criterion
        and p.aspect = j.aspect
    where j.judge_id is not null
),

final as (
    select
        competition_id,
        judge_id,
        count(*) as aspects_judged,
        avg(deviation) as mean_bias,
        avg(abs(deviation)) as mean_abs_deviation
    from deviations
    group by competition_id, judge_id
)

select * from final

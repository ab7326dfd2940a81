-- name: competition_results
-- description: One row per competition and contestant, merged across venues (异地同赛). raw_total = the sum of the contestant's aspect marks (competition_marks), rounded to 6 decimals so that equal totals compare equal; max_possible = the sum of max_mark over every aspect marked in the competition; stages_completed = stages with any mark, highest_stage = the highest of them, stages_total = the stages of the competition (those with any mark by anyone so far), progress (闯关进度) = stages_completed / stages_total; venue_id = the venue of the highest stage reached (the greatest venue_id if several). standardised_score = 700 + 40 × (raw_total − median) / (1.4826 × MAD) within the competition, where median = the median raw_total of its contestants (of an even count: the mean of the two middle values) and MAD = the median of |raw_total − median| (same rule), both shown beside (median_raw_total, mad_raw_total); 700 for everyone when MAD is 0. overall_rank and venue_rank order raw_total descending, within the competition and within competition × venue; equal totals share a rank and the next rank skips (competition ranking 1, 2, 2, 4). medal = gold, silver, bronze for overall_rank 1, 2, 3 (tied contestants share the medal, so two silvers leave no bronze); medallion (for excellence) = standardised_score ≥ 700 and no medal.
-- grain: competition_id, contestant_id
-- tests: not_null(venue_id, raw_total, max_possible, stages_completed, highest_stage, stages_total, progress, median_raw_total, mad_raw_total, standardised_score, overall_rank, venue_rank, medallion); accepted_values(medal: gold|silver|bronze); relationships(contestant_id -> stg_workers.worker_id)

with marks as (
    select competition_id, stage, contestant_id, criterion, aspect, venue_id, max_mark, mark
    from competition_marks
),

scheme as (
    select competition_id, stage, criterion, aspect, max(max_mark) as max_mark
    from marks
    group by competition_id, stage, criterion, aspect
),

competitions as (
    select competition_id, sum(max_mark) as max_possible, count(distinct stage) as stages_total
    from scheme
    group by competition_id
),

contestants as (
    select
        competition_id,
        contestant_id,
        round(sum(mark), 6) as raw_total,
        count(distinct stage) as stages_completed,
        max(stage) as highest_stage
    from marks
    group by competition_id, contestant_id
),

venues as (
    select m.competition_id, m.contestant_id, max(m.venue_id) as venue_id
    from marks m
    join contestants c
        on c.competition_id = m.competition_id
        and c.contestant_id = m.contestant_id
        and c.highest_stage = m.stage
    group by m.competition_id, m.contestant_id
),

medians as (
    select competition_id, median(raw_total) as median_raw
    from contestants
    group by competition_id
),

mads as (
    select c.competition_id, median(abs(c.raw_total - m.median_raw)) as mad
    from contestants c
    join medians m on m.competition_id = c.competition_id
    group by c.competition_id
),

scored as (
    select
        c.competition_id,
        c.contestant_id,
        v.venue_id,
        c.raw_total,
        k.max_possible,
        c.stages_completed,
        c.highest_stage,
        k.stages_total,
        cast(c.stages_completed as double) / cast(k.stages_total as double) as progress,
        m.median_raw as median_raw_total,
        d.mad as mad_raw_total,
        case
            when d.mad = 0 then 700.0
            else 700.0 + 40.0 * (c.raw_total - m.median_raw) / (1.4826 * d.mad)
        end as standardised_score
    from contestants c
    join venues v
        on v.competition_id = c.competition_id and v.contestant_id = c.contestant_id
    join competitions k on k.competition_id = c.competition_id
    join medians m on m.competition_id = c.competition_id
    join mads d on d.competition_id = c.competition_id
),

ranked as (
    select
        scored.*,
        rank() over (partition by competition_id order by raw_total desc) as overall_rank,
        rank() over (partition by competition_id, venue_id order by raw_total desc) as venue_rank
    from scored
),

final as (
    select
        ranked.*,
        case overall_rank
            when 1 then 'gold'
            when 2 then 'silver'
            when 3 then 'bronze'
        end as medal,
        standardised_score >= 700.0 and overall_rank > 3 as medallion
    from ranked
)

select * from final

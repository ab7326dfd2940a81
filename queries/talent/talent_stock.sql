-- name: talent_stock
-- description: Skilled workers (those holding a certificate in their own occupation) by region, occupation and ladder step, at the highest step certified: workers, how many have an assessment, their average latest assessment score (score_pct of the latest assessment in that occupation; the best one if several share the latest time), and the high-skill share of the region × occupation (workers at 高级工 or above / all skilled workers there).
-- grain: region_code, occupation_code, ladder_order
-- tests: not_null(workers, high_skill_share, high_skilled); relationships(region_code -> ref_regions.code); relationships(occupation_code -> ref_occupations.code)

with workers as (
    select worker_id, region_code, occupation_code
    from stg_workers
    where occupation_code is not null
),

certificates as (
    select worker_id, occupation_code, max(ladder_order) as ladder_order
    from stg_certifications
    group by worker_id, occupation_code
),

assessments as (
    select worker_id, occupation_code, taken_at, score_pct
    from stg_assessment_results
),

-- The latest assessment's score: the last by taken_at and, of several at the latest
-- time, the best (nulls first: null only when none of them has a score).
latest_score as (
    select
        worker_id,
        occupation_code,
        last_value(score_pct order by taken_at, score_pct nulls first) as score_pct
    from assessments
    group by worker_id, occupation_code
),

skilled as (
    select w.worker_id, w.region_code, w.occupation_code, c.ladder_order
    from workers w
    join certificates c
        on c.worker_id = w.worker_id and c.occupation_code = w.occupation_code
),

by_step as (
    select
        s.region_code,
        s.occupation_code,
        s.ladder_order,
        count(*) as workers,
        count(ls.score_pct) as assessed_workers,
        avg(ls.score_pct) as avg_latest_score
    from skilled s
    left join latest_score ls
        on ls.worker_id = s.worker_id and ls.occupation_code = s.occupation_code
    group by s.region_code, s.occupation_code, s.ladder_order
),

final as (
    select
        b.region_code,
        r.name as region_name,
        b.occupation_code,
        o.name as occupation_name,
        b.ladder_order,
        lv.national_level as level,
        lv.name as level_name,
        lv.high_skilled,
        b.workers,
        b.assessed_workers,
        b.avg_latest_score,
        cast(sum(case when lv.high_skilled then b.workers else 0 end)
            over (partition by b.region_code, b.occupation_code) as double)
            / cast(sum(b.workers) over (partition by b.region_code, b.occupation_code) as double)
            as high_skill_share
    from by_step b
    join ref_skill_levels lv on lv.ladder_order = b.ladder_order
    left join ref_regions r on r.code = b.region_code
    left join ref_occupations o on o.code = b.occupation_code
)

select * from final

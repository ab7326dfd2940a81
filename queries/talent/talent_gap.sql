-- name: talent_gap
-- description: Demand and supply per region, occupation, national level and period: openings (demand) and job seekers (supply) summed over sources, gap = openings − job seekers, 求人倍率 vacancy_ratio = openings / job seekers (null when there are no seekers), and beside them the certified workers at that level today (from talent_stock).
-- grain: region_code, occupation_code, level, period
-- tests: not_null(openings, job_seekers, gap, certified_workers); relationships(region_code -> ref_regions.code); relationships(occupation_code -> ref_occupations.code)

with demand as (
    select
        period,
        region_code,
        occupation_code,
        level,
        sum(openings) as openings,
        sum(job_seekers) as job_seekers
    from stg_talent_demand
    group by period, region_code, occupation_code, level
),

certified as (
    select region_code, occupation_code, level, sum(workers) as certified_workers
    from talent_stock
    where level is not null
    group by region_code, occupation_code, level
),

final as (
    select
        d.region_code,
        r.name as region_name,
        d.occupation_code,
        o.name as occupation_name,
        d.level,
        d.period,
        d.openings,
        d.job_seekers,
        d.openings - d.job_seekers as gap,
        case
            when d.job_seekers = 0 then null
            else cast(d.openings as double) / cast(d.job_seekers as double)
        end as vacancy_ratio,
        coalesce(c.certified_workers, 0) as certified_workers
    from demand d
    left join certified c
        on c.region_code = d.region_code
        and c.occupation_code = d.occupation_code
        and c.level = d.level
    left join ref_regions r on r.code = d.region_code
    left join ref_occupations o on o.code = d.occupation_code
)

select * from final

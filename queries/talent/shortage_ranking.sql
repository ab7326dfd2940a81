-- name: shortage_ranking
-- description: A shortage ranking per period, like the national "最缺工的100个职业" list: per occupation, openings and job seekers summed over every region, level and source, gap = openings − job seekers, 求人倍率 vacancy_ratio = openings / job seekers (null when there are none), the regions reporting the occupation and the districts reporting a shortage (their own gap, summed over levels and sources, above 0). rank_by_gap orders the period's occupations by gap, largest first; rank_by_districts by districts short, most first. Ties share a rank and the next rank skips (1, 1, 3: SQL rank()).
-- grain: period, occupation_code
-- tests: not_null(openings, job_seekers, gap, districts_reporting, shortage_districts, rank_by_gap, rank_by_districts); relationships(occupation_code -> ref_occupations.code)

with demand as (
    select period, region_code, occupation_code, openings, job_seekers
    from stg_talent_demand
),

by_district as (
    select
        period,
        occupation_code,
        region_code,
        sum(openings) as openings,
        sum(job_seekers) as job_seekers
    from demand
    group by period, occupation_code, region_code
),

by_occupation as (
    select
        period,
        occupation_code,
        sum(openings) as openings,
        sum(job_seekers) as job_seekers,
        count(*) as districts_reporting,
        sum(case when openings > job_seekers then 1 else 0 end) as shortage_districts
    from by_district
    group by period, occupation_code
),

final as (
    select
        b.period,
        b.occupation_code,
        o.name as occupation_name,
        b.openings,
        b.job_seekers,
        b.openings - b.job_seekers as gap,
        case
            when b.job_seekers = 0 then null
            else cast(b.openings as double) / cast(b.job_seekers as double)
        end as vacancy_ratio,
        b.districts_reporting,
        b.shortage_districts,
        rank() over (
            partition by b.period order by b.openings - b.job_seekers desc
        ) as rank_by_gap,
        rank() over (
            partition by b.period order by b.shortage_districts desc
        ) as rank_by_districts
    from by_occupation b
    left join ref_occupations o on o.code = b.occupation_code
)

select * from final

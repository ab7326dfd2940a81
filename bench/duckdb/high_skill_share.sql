-- DuckDB version of queries/talent/high_skill_share.sql, run by bench/crosscheck.py in its place.
-- Why it differs:
--   In DataFusion '/' between integers divides in integers (truncating); in DuckDB it
--   gives a DOUBLE, and '//' is the integer division. The two targets use '//'.
-- Nothing else is changed: the meaning is the original's. Keep it in step with the
-- original; the next line is the sha256 of the original's SQL (comment lines and blank
-- space left out), and crosscheck.py reports the model stale when they part.
-- source-sha256: 6ea2fca02084c80ceafeff18c609b48dd8c7949c5584b18ab9547f92a4fff0d4

with workers as (
    select region_code, occupation_code
    from stg_workers
    where occupation_code is not null
),

stock as (
    select region_code, occupation_code, workers, high_skilled
    from talent_stock
),

regions as (
    select code, name, parent_code, level
    from ref_regions
),

occupations as (
    select code, name
    from ref_occupations
),

employed as (
    select region_code, occupation_code, count(*) as workers
    from workers
    group by region_code, occupation_code
),

skilled as (
    select
        region_code,
        occupation_code,
        sum(workers) as skilled_workers,
        sum(case when high_skilled then workers else 0 end) as high_skilled
    from stock
    group by region_code, occupation_code
),

by_region as (
    select
        e.region_code,
        e.occupation_code,
        e.workers,
        coalesce(s.skilled_workers, 0) as skilled_workers,
        coalesce(s.high_skilled, 0) as high_skilled
    from employed e
    left join skilled s on s.region_code = e.region_code and s.occupation_code = e.occupation_code
),

-- Districts as they are; the city sums its districts (and workers placed at the city itself).
regional as (
    select b.region_code, b.occupation_code, b.workers, b.skilled_workers, b.high_skilled
    from by_region b
    join regions r on r.code = b.region_code
    where r.level <> 'city'

    union all

    select
        c.code as region_code,
        b.occupation_code,
        sum(b.workers) as workers,
        sum(b.skilled_workers) as skilled_workers,
        sum(b.high_skilled) as high_skilled
    from by_region b
    join regions r on r.code = b.region_code
    join regions c
        on c.level = 'city'
        and c.code = case when r.level = 'city' then r.code else r.parent_code end
    group by c.code, b.occupation_code
),

with_all as (
    select region_code, occupation_code, workers, skilled_workers, high_skilled
    from regional

    union all

    select
        region_code,
        'ALL' as occupation_code,
        sum(workers) as workers,
        sum(skilled_workers) as skilled_workers,
        sum(high_skilled) as high_skilled
    from regional
    group by region_code
),

targets as (
    select
        region_code,
        occupation_code,
        workers,
        skilled_workers,
        high_skilled,
        (skilled_workers + 2) // 3 as target_one_third,
        (35 * skilled_workers + 99) // 100 as target_35pct
    from with_all
),

final as (
    select
        t.region_code,
        r.name as region_name,
        r.level as region_level,
        t.occupation_code,
        case when t.occupation_code = 'ALL' then '全部职业' else o.name end as occupation_name,
        t.workers,
        t.skilled_workers,
        t.high_skilled,
        case
            when t.skilled_workers = 0 then null
            else cast(t.high_skilled as double) / cast(t.skilled_workers as double)
        end as high_skill_share,
        t.target_one_third,
        t.target_one_third - t.high_skilled as gap_to_one_third,
        t.target_35pct,
        t.target_35pct - t.high_skilled as gap_to_35pct
    from targets t
    join regions r on r.code = t.region_code
    left join occupations o on o.code = t.occupation_code
)

select * from final

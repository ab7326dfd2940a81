-- DuckDB version of queries/talent/enterprise_skill_structure.sql, run by bench/crosscheck.py in its place.
-- Why it differs:
--   DataFusion's ordered aggregate first_value(x order by ...) is a window function only
--   in DuckDB, whose aggregate first(x order by ...) does the same (keeping NULLs).
-- Nothing else is changed: the meaning is the original's. Keep it in step with the
-- original; the next line is the sha256 of the original's SQL (comment lines and blank
-- space left out), and crosscheck.py reports the model stale when they part.
-- source-sha256: 6496c1e7105684c8440ad5acea3e3d110884d9456242474bc254a18118249a31

with talent as (
    select worker_id, enterprise_id, position, ladder_order, level
    from talent_db
    where enterprise_id is not null
),

profile as (
    select worker_id, dimension_code, dimension_name, score, occupation_median
    from ability_profile
    where score is not null
),

enterprises as (
    select enterprise_id, name, region_code
    from stg_enterprises
),

steps as (
    select ladder_order, national_level, high_skilled
    from ref_skill_levels
),

level_mix as (
    select
        t.enterprise_id,
        t.position,
        count(*) as workers,
        sum(case when t.level = 1 then 1 else 0 end) as level_1,
        sum(case when t.level = 2 then 1 else 0 end) as level_2,
        sum(case when t.level = 3 then 1 else 0 end) as level_3,
        sum(case when t.level = 4 then 1 else 0 end) as level_4,
        sum(case when t.level = 5 then 1 else 0 end) as level_5,
        sum(case when t.level is null and s.high_skilled then 1 else 0 end) as above_level_1,
        sum(case when t.level is null and s.high_skilled then 0 when t.level is null then 1 else 0 end) as unleveled
    from talent t
    left join steps s on s.ladder_order = t.ladder_order
    group by t.enterprise_id, t.position
),

dimension_means as (
    select
        t.enterprise_id,
        t.position,
        p.dimension_code,
        max(p.dimension_name) as dimension_name,
        avg(p.score) as mean_score,
        count(*) as scored_workers,
        max(p.occupation_median) as city_median
    from talent t
    join profile p on p.worker_id = t.worker_id
    group by t.enterprise_id, t.position, p.dimension_code
),

weakest as (
    select
        enterprise_id,
        position,
        first(dimension_code order by round(mean_score, 9), dimension_code) as weakest_dimension_code,
        first(dimension_name order by round(mean_score, 9), dimension_code) as weakest_dimension_name,
        first(mean_score order by round(mean_score, 9), dimension_code) as weakest_dimension_mean,
        first(scored_workers order by round(mean_score, 9), dimension_code) as weakest_dimension_workers,
        first(city_median order by round(mean_score, 9), dimension_code) as city_median
    from dimension_means
    group by enterprise_id, position
),

final as (
    select
        l.enterprise_id,
        e.name as enterprise_name,
        e.region_code,
        l.position,
        l.workers,
        l.level_1,
        l.level_2,
        l.level_3,
        l.level_4,
        l.level_5,
        l.above_level_1,
        l.unleveled,
        w.weakest_dimension_code,
        w.weakest_dimension_name,
        w.weakest_dimension_mean,
        w.weakest_dimension_workers,
        w.city_median,
        w.weakest_dimension_mean - w.city_median as diff_to_city_median
    from level_mix l
    left join weakest w
        on w.enterprise_id = l.enterprise_id
        and w.position is not distinct from l.position
    left join enterprises e on e.enterprise_id = l.enterprise_id
)

select * from final

-- name: enterprise_skill_structure
-- description: Skill structure per enterprise × position (workers of stg_workers with an enterprise; a null position is its own row), for HR to target training. workers; the level mix by each worker's highest certificate in their own occupation (from talent_db): level_1 (一级/高级技师) … level_5 (五级/初级工), above_level_1 (特级技师 and 首席技师, the ladder's steps above 高级技师 without a national level) and unleveled (no certificate in their occupation, or 学徒工); the columns add up to workers. The weakest dimension: for each ability dimension, the mean of the position's workers' latest scores on it (ability_profile.score, score_pct 0–100, unscored workers left out); the lowest mean wins, ties (means equal to 9 decimals, so that the rounding of a sum does not decide) to the smallest dimension_code (null when no worker is scored). Beside it: how many workers it was scored for, city_median = the median of the latest scores of all the city's workers of the dimension's occupation (ability_profile.occupation_median), and diff_to_city_median = weakest_dimension_mean − city_median (negative = below the city).
-- grain: enterprise_id, position
-- tests: not_null(workers, level_1, level_2, level_3, level_4, level_5, above_level_1, unleveled); relationships(weakest_dimension_code -> ref_dimensions.dimension_code); relationships(region_code -> ref_regions.code)

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

-- The weakest dimension: the lowest mean (to 9 decimals), then the smallest code.
lowest_means as (
    select enterprise_id, position, min(round(mean_score, 9)) as lowest_mean
    from dimension_means
    group by enterprise_id, position
),

weakest_codes as (
    select d.enterprise_id, d.position, min(d.dimension_code) as dimension_code
    from dimension_means d
    join lowest_means m
        on m.enterprise_id = d.enterprise_id
        and (m.position is not distinct from d.position)
        and m.lowest_mean = round(d.mean_score, 9)
    group by d.enterprise_id, d.position
),

weakest as (
    select
        d.enterprise_id,
        d.position,
        d.dimension_code as weakest_dimension_code,
        d.dimension_name as weakest_dimension_name,
        d.mean_score as weakest_dimension_mean,
        d.scored_workers as weakest_dimension_workers,
        d.city_median
    from dimension_means d
    join weakest_codes c
        on c.enterprise_id = d.enterprise_id
        and (c.position is not distinct from d.position)
        and c.dimension_code = d.dimension_code
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

-- DuckDB version of queries/talent/ability_profile.sql, run by bench/crosscheck.py in its place.
-- Why it differs:
--   DataFusion's ordered aggregates last_value(x order by ...) and first_value(x order by ...)
--   are window functions only in DuckDB, whose aggregates last(x order by ...) and
--   first(x order by ...) do the same (both keep NULLs, both honour FILTER).
-- Nothing else is changed: the meaning is the original's. Keep it in step with the
-- original; the next line is the sha256 of the original's SQL (comment lines and blank
-- space left out), and crosscheck.py reports the model stale when they part.
-- source-sha256: ce929528aef6262683b29807e66d2b0097bb2c7b7541202966c252cc86cdcffe

with workers as (
    select worker_id, region_code, occupation_code
    from stg_workers
    where occupation_code is not null
),

dimensions as (
    select occupation_code, dimension_code, name as dimension_name
    from ref_dimensions
),

assessments as (
    select event_id, worker_id, occupation_code, taken_at
    from stg_assessment_results
),

dimension_scores as (
    select event_id, dimension_code, score_pct
    from stg_assessment_dimension_scores
    where score_pct is not null
),

training as (
    select worker_id, course_id, course_name, occupation_code, completed_at
    from stg_training_records
    where completed
),

courses as (
    select course_id, course_name, occupation_code
    from ref_courses
),

-- Every dimension score with the worker, occupation and time of its assessment.
scored as (
    select a.worker_id, a.occupation_code, d.dimension_code, a.taken_at, d.score_pct
    from assessments a
    join dimension_scores d on d.event_id = a.event_id
),

-- Each current worker's latest score per dimension of their own occupation.
latest as (
    select
        w.worker_id,
        w.occupation_code,
        w.region_code,
        s.dimension_code,
        last(s.score_pct order by s.taken_at, s.score_pct) as score
    from scored s
    join workers w on w.worker_id = s.worker_id and w.occupation_code = s.occupation_code
    group by w.worker_id, w.occupation_code, w.region_code, s.dimension_code
),

-- Every dimension of the worker's occupation beside the worker's latest score on it.
grid as (
    select
        w.worker_id,
        w.occupation_code,
        w.region_code,
        d.dimension_code,
        d.dimension_name,
        l.score
    from workers w
    join dimensions d on d.occupation_code = w.occupation_code
    left join latest l on l.worker_id = w.worker_id and l.dimension_code = d.dimension_code
),

-- Medians ignore unscored rows; ranks are taken among scored rows only.
ranked as (
    select
        worker_id,
        occupation_code,
        region_code,
        dimension_code,
        dimension_name,
        score,
        median(score) over (partition by occupation_code, dimension_code) as occupation_median,
        median(score) over (partition by region_code, occupation_code, dimension_code) as region_median,
        percent_rank() over (
            partition by occupation_code, dimension_code, score is null order by score
        ) as percentile,
        row_number() over (
            partition by worker_id, score is null order by score, dimension_code
        ) as dimension_rank,
        min(score) over (partition by worker_id) as lowest
    from grid
),

-- Course effects: a completed course between two assessments that scored a dimension,
-- the latest before and the first after the completion (the best score at a shared time).
completions as (
    select
        t.worker_id,
        t.course_id,
        coalesce(t.occupation_code, c.occupation_code) as occupation_code,
        t.completed_at
    from training t
    left join courses c on c.course_id = t.course_id
),

-- Only the assessments of workers who completed a course are read here.
course_samples as (
    select
        c.occupation_code,
        c.course_id,
        d.dimension_code,
        last(d.score_pct order by a.taken_at, d.score_pct)
            filter (where a.taken_at < c.completed_at) as before_score,
        first(d.score_pct order by a.taken_at, d.score_pct desc)
            filter (where a.taken_at > c.completed_at) as after_score
    from completions c
    join assessments a on a.worker_id = c.worker_id and a.occupation_code = c.occupation_code
    join dimension_scores d on d.event_id = a.event_id
    group by c.worker_id, c.course_id, c.occupation_code, c.completed_at, d.dimension_code
),

course_effects as (
    select occupation_code, dimension_code, course_id, avg(after_score - before_score) as mean_improvement
    from course_samples
    where before_score is not null and after_score is not null
    group by occupation_code, dimension_code, course_id
),

best_courses as (
    select
        occupation_code,
        dimension_code,
        first(course_id order by mean_improvement desc, course_id) as course_id
    from course_effects
    where mean_improvement > 0
    group by occupation_code, dimension_code
),

course_names as (
    select t.course_id, coalesce(max(c.course_name), max(t.course_name)) as course_name
    from training t
    left join courses c on c.course_id = t.course_id
    group by t.course_id
),

suggestions as (
    select b.occupation_code, b.dimension_code, b.course_id, n.course_name
    from best_courses b
    left join course_names n on n.course_id = b.course_id
),

final as (
    select
        r.worker_id,
        r.occupation_code,
        r.region_code,
        r.dimension_code,
        r.dimension_name,
        r.score,
        r.occupation_median,
        r.region_median,
        case when r.score is not null then r.percentile end as percentile,
        case when r.score is not null then r.dimension_rank end as dimension_rank,
        coalesce(r.score = r.lowest, false) as weakest,
        s.course_id as suggested_course_id,
        s.course_name as suggested_course_name
    from ranked r
    left join suggestions s
        on s.occupation_code = r.occupation_code and s.dimension_code = r.dimension_code
)

select * from final

-- name: training_effect
-- description: Score change around a training course, per course and occupation (the record's occupation, else the course's in ref_courses). A trainee is a worker with a completed record of the course (completed = true), timed at their first completion (earliest completed_at). Their score before is the score_pct of their latest assessment in that occupation taken strictly before that time; their score after, that of their first assessment in that occupation taken at or after it; where several assessments share that time, the best counts. trainees counts every trainee; assessed_trainees those with both a before and an after score, and only they enter avg_score_before, avg_score_after and avg_change (mean of after − before, = avg_score_after − avg_score_before), which are null when there are none.
-- grain: course_id, occupation_code
-- tests: not_null(trainees, assessed_trainees); relationships(occupation_code -> ref_occupations.code)

with records as (
    select
        t.worker_id,
        t.course_id,
        coalesce(c.course_name, t.course_name) as course_name,
        coalesce(t.occupation_code, c.occupation_code) as occupation_code,
        t.completed_at
    from stg_training_records t
    left join ref_courses c on c.course_id = t.course_id
    where t.completed
),

completions as (
    select
        worker_id,
        course_id,
        occupation_code,
        max(course_name) as course_name,
        min(completed_at) as completed_at
    from records
    where occupation_code is not null
    group by worker_id, course_id, occupation_code
),

assessments as (
    select worker_id, occupation_code, taken_at, score_pct
    from stg_assessment_results
    where score_pct is not null
),

last_before as (
    select c.worker_id, c.course_id, c.occupation_code, max(a.taken_at) as taken_at
    from completions c
    join assessments a
        on a.worker_id = c.worker_id
        and a.occupation_code = c.occupation_code
        and a.taken_at < c.completed_at
    group by c.worker_id, c.course_id, c.occupation_code
),

first_after as (
    select c.worker_id, c.course_id, c.occupation_code, min(a.taken_at) as taken_at
    from completions c
    join assessments a
        on a.worker_id = c.worker_id
        and a.occupation_code = c.occupation_code
        and a.taken_at >= c.completed_at
    group by c.worker_id, c.course_id, c.occupation_code
),

score_before as (
    select b.worker_id, b.course_id, b.occupation_code, max(a.score_pct) as score_pct
    from last_before b
    join assessments a
        on a.worker_id = b.worker_id
        and a.occupation_code = b.occupation_code
        and a.taken_at = b.taken_at
    group by b.worker_id, b.course_id, b.occupation_code
),

score_after as (
    select f.worker_id, f.course_id, f.occupation_code, max(a.score_pct) as score_pct
    from first_after f
    join assessments a
        on a.worker_id = f.worker_id
        and a.occupation_code = f.occupation_code
        and a.taken_at = f.taken_at
    group by f.worker_id, f.course_id, f.occupation_code
),

trainees as (
    select
        c.course_id,
        c.course_name,
        c.occupation_code,
        c.worker_id,
        case when a.score_pct is not null then b.score_pct end as score_before,
        case when b.score_pct is not null then a.score_pct end as score_after
    from completions c
    left join score_before b
        on b.worker_id = c.worker_id
        and b.course_id = c.course_id
        and b.occupation_code = c.occupation_code
    left join score_after a
        on a.worker_id = c.worker_id
        and a.course_id = c.course_id
        and a.occupation_code = c.occupation_code
),

by_course as (
    select
        course_id,
        occupation_code,
        max(course_name) as course_name,
        count(*) as trainees,
        count(score_before) as assessed_trainees,
        avg(score_before) as avg_score_before,
        avg(score_after) as avg_score_after,
        avg(score_after - score_before) as avg_change
    from trainees
    group by course_id, occupation_code
),

final as (
    select
        b.course_id,
        b.course_name,
        b.occupation_code,
        o.name as occupation_name,
        b.trainees,
        b.assessed_trainees,
        b.avg_score_before,
        b.avg_score_after,
        b.avg_change
    from by_course b
    left join ref_occupations o on o.code = b.occupation_code
)

select * from final

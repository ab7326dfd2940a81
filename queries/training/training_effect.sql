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

-- One pass over each trainee's assessments in the occupation: the latest before the
-- first completion and the first at or after it (the best score where several share
-- that time).
samples as (
    select
        c.worker_id,
        c.course_id,
        c.occupation_code,
        last_value(a.score_pct order by a.taken_at, a.score_pct)
            filter (where a.taken_at < c.completed_at) as score_before,
        first_value(a.score_pct order by a.taken_at, a.score_pct desc)
            filter (where a.taken_at >= c.completed_at) as score_after
    from completions c
    join assessments a
        on a.worker_id = c.worker_id
        and a.occupation_code = c.occupation_code
    group by c.worker_id, c.course_id, c.occupation_code
),

trainees as (
    select
        c.course_id,
        c.course_name,
        c.occupation_code,
        c.worker_id,
        case when s.score_after is not null then s.score_before end as score_before,
        case when s.score_before is not null then s.score_after end as score_after
    from completions c
    left join samples s
        on s.worker_id = c.worker_id
        and s.course_id = c.course_id
        and s.occupation_code = c.occupation_code
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

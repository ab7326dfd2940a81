-- name: mentorship_outcomes
-- description: What each mentor's apprentices (师带徒) reached. For each agreement, the apprentice's step before is the highest ladder_order certified in the agreement's occupation strictly before signed_at (1 = 学徒工 when there is none); the apprentice rose if a certificate in that occupation issued from signed_at up to, not including, signed_at + 12 months is at a higher step. apprentices_signed counts the mentor's distinct apprentices, apprentices_rose those who rose under at least one of their agreements with the mentor, rose_share = rose / signed. apprentices_pending are those who have not risen and whose 12 months had not all passed by as_of, the latest event time in the data read (certificates issued, agreements signed): they may still rise. region_code is the mentor's (stg_workers), null when unknown.
-- grain: mentor_id
-- tests: not_null(apprentices_signed, apprentices_rose, rose_share, apprentices_pending); relationships(region_code -> ref_regions.code)

with agreements as (
    select event_id, mentor_id, apprentice_id, occupation_code, signed_at
    from stg_mentorships
),

certificates as (
    select worker_id, occupation_code, ladder_order, issued_at
    from stg_certifications
),

as_of as (
    select max(t) as as_of
    from (
        select max(issued_at) as t from certificates
        union all
        select max(signed_at) as t from agreements
    ) times
),

step_before as (
    select a.event_id, max(c.ladder_order) as ladder_order
    from agreements a
    join certificates c
        on c.worker_id = a.apprentice_id
        and c.occupation_code = a.occupation_code
        and c.issued_at < a.signed_at
    group by a.event_id
),

step_within as (
    select a.event_id, max(c.ladder_order) as ladder_order
    from agreements a
    join certificates c
        on c.worker_id = a.apprentice_id
        and c.occupation_code = a.occupation_code
        and c.issued_at >= a.signed_at
        and c.issued_at < a.signed_at + interval '12 months'
    group by a.event_id
),

outcomes as (
    select
        a.mentor_id,
        a.apprentice_id,
        coalesce(w.ladder_order > coalesce(b.ladder_order, 1), false) as rose,
        coalesce(a.signed_at + interval '12 months' > x.as_of, false) as window_open
    from agreements a
    cross join as_of x
    left join step_before b on b.event_id = a.event_id
    left join step_within w on w.event_id = a.event_id
),

apprentices as (
    select
        mentor_id,
        apprentice_id,
        bool_or(rose) as rose,
        bool_or(window_open) as window_open
    from outcomes
    group by mentor_id, apprentice_id
),

by_mentor as (
    select
        mentor_id,
        count(*) as apprentices_signed,
        sum(case when rose then 1 else 0 end) as apprentices_rose,
        sum(case when window_open and not rose then 1 else 0 end) as apprentices_pending
    from apprentices
    group by mentor_id
),

final as (
    select
        m.mentor_id,
        w.region_code,
        m.apprentices_signed,
        m.apprentices_rose,
        cast(m.apprentices_rose as double) / cast(m.apprentices_signed as double) as rose_share,
        m.apprentices_pending,
        x.as_of
    from by_mentor m
    cross join as_of x
    left join stg_workers w on w.worker_id = m.mentor_id
)

select * from final

-- name: programme_progress
-- description: Progress towards each yearly programme target of ref_programme_targets, counted in the lake for the target's year (China Standard Time, UTC+8) and region (a district's code; a city's code covers every region whose code shares its first four digits, a province's its first two). An agreement (stg_mentorships) belongs to the region of its apprentice (stg_workers), else of its mentor. Metrics: mentors = distinct mentors with an agreement signed that year; mentorship_pairs_signed = distinct mentor–apprentice pairs (师徒结对) with an agreement signed that year; apprentices_level_up = distinct apprentices of those agreements certified, between signing and the end of that year, in the agreement's occupation at a ladder step above their highest one before signing (学徒工 when none). A metric the lake does not measure has a null actual. progress_share = actual / target. as_of is the latest event time in the data read (certificates issued, agreements signed), null on an empty lake; year_closed says whether as_of is past the target's year.
-- grain: programme, year, region_code, metric
-- tests: not_null(target, unit)

with targets as (
    select
        programme,
        programme_name,
        year,
        region_code,
        region_name,
        metric,
        target,
        unit
    from ref_programme_targets
),

workers as (
    select worker_id, region_code
    from stg_workers
),

certificates as (
    select
        worker_id,
        occupation_code,
        ladder_order,
        issued_at,
        extract(year from issued_at + interval '8 hours') as year_cst
    from stg_certifications
),

agreements as (
    select
        m.event_id,
        m.mentor_id,
        m.apprentice_id,
        m.occupation_code,
        m.signed_at,
        extract(year from m.signed_at + interval '8 hours') as year_cst,
        coalesce(ap.region_code, mr.region_code) as region_code
    from stg_mentorships m
    left join workers ap on ap.worker_id = m.apprentice_id
    left join workers mr on mr.worker_id = m.mentor_id
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

step_in_year as (
    select a.event_id, max(c.ladder_order) as ladder_order
    from agreements a
    join certificates c
        on c.worker_id = a.apprentice_id
        and c.occupation_code = a.occupation_code
        and c.issued_at >= a.signed_at
        and c.year_cst = a.year_cst
    group by a.event_id
),

outcomes as (
    select
        a.event_id,
        a.mentor_id,
        a.apprentice_id,
        a.region_code,
        a.year_cst,
        coalesce(y.ladder_order > coalesce(b.ladder_order, 1), false) as rose
    from agreements a
    left join step_before b on b.event_id = a.event_id
    left join step_in_year y on y.event_id = a.event_id
),

actuals as (
    select
        t.programme,
        t.year,
        t.region_code,
        t.metric,
        case t.metric
            when 'mentors' then count(distinct o.mentor_id)
            when 'mentorship_pairs_signed'
                then count(distinct o.mentor_id || '|' || o.apprentice_id)
            when 'apprentices_level_up'
                then count(distinct case when o.rose then o.apprentice_id end)
        end as actual
    from targets t
    left join outcomes o
        on o.year_cst = t.year
        and (
            o.region_code = t.region_code
            or (t.region_code like '%0000' and left(o.region_code, 2) = left(t.region_code, 2))
            or (t.region_code like '%00' and left(o.region_code, 4) = left(t.region_code, 4))
        )
    group by t.programme, t.year, t.region_code, t.metric
),

final as (
    select
        t.programme,
        t.programme_name,
        t.year,
        t.region_code,
        t.region_name,
        t.metric,
        t.unit,
        t.target,
        a.actual,
        cast(a.actual as double) / cast(t.target as double) as progress_share,
        x.as_of,
        extract(year from x.as_of + interval '8 hours') > t.year as year_closed
    from targets t
    join actuals a
        on a.programme = t.programme
        and a.year = t.year
        and a.region_code = t.region_code
        and a.metric = t.metric
    cross join as_of x
)

select * from final

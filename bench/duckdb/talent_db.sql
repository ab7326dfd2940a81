-- DuckDB version of queries/talent/talent_db.sql, run by bench/crosscheck.py in its place.
-- Why it differs:
--   DataFusion's ordered aggregate last_value(x order by ...) is a window function only
--   in DuckDB, whose aggregate last(x order by ...) does the same (keeping NULLs).
-- Nothing else is changed: the meaning is the original's. Keep it in step with the
-- original; the next line is the sha256 of the original's SQL (comment lines and blank
-- space left out), and crosscheck.py reports the model stale when they part.
-- source-sha256: fff7ee89f8b1b63660c2e0551e627176b60412c7123f56c7f6dc90c5267d7ce6

with workers as (
    select worker_id, region_code, enterprise_id, position, occupation_code
    from stg_workers
),

certifications as (
    select worker_id, occupation_code, ladder_order
    from stg_certifications
),

assessments as (
    select event_id, worker_id, occupation_code, taken_at, score_pct
    from stg_assessment_results
),

dimension_scores as (
    select event_id, dimension_code, score_pct
    from stg_assessment_dimension_scores
),

competitions as (
    select competition_id, contestant_id, standardised_score, medal
    from competition_results
),

training as (
    select worker_id, hours, completed_at
    from stg_training_records
    where completed
),

mentorships as (
    select mentor_id, apprentice_id, signed_at, ended_at
    from stg_mentorships
),

-- The data's as-of time: the latest timestamp of any event in the lake (never now()).
as_of as (
    select max(t) as as_of
    from (
        select max(issued_at) as t from stg_certifications
        union all
        select max(taken_at) as t from stg_assessment_results
        union all
        select max(scored_at) as t from stg_competition_scores
        union all
        select max(completed_at) as t from stg_training_records
        union all
        select max(signed_at) as t from stg_mentorships
        union all
        select max(ended_at) as t from stg_mentorships
    ) event_times
),

certified as (
    select c.worker_id, max(c.ladder_order) as ladder_order
    from certifications c
    join workers w on w.worker_id = c.worker_id and w.occupation_code = c.occupation_code
    group by c.worker_id
),

own_assessments as (
    select a.event_id, a.worker_id, w.occupation_code, a.taken_at, a.score_pct
    from assessments a
    join workers w on w.worker_id = a.worker_id and w.occupation_code = a.occupation_code
),

-- One pass: the latest assessment is the last by (taken_at, score_pct, event_id).
score_summary as (
    select
        worker_id,
        occupation_code,
        count(*) as assessments,
        max(taken_at) as latest_taken_at,
        last(score_pct order by taken_at, score_pct nulls first) as latest_score,
        max(score_pct) as best_score,
        last(event_id order by taken_at, score_pct nulls first, event_id) as latest_event_id
    from own_assessments
    group by worker_id, occupation_code
),

with_dimensions as (
    select
        s.worker_id,
        s.occupation_code,
        s.assessments,
        s.latest_taken_at,
        s.latest_score,
        s.best_score,
        count(d.score_pct) as latest_dimensions_scored,
        avg(d.score_pct) as latest_dimension_mean_pct
    from score_summary s
    left join dimension_scores d on d.event_id = s.latest_event_id
    group by s.worker_id, s.occupation_code, s.assessments, s.latest_taken_at, s.latest_score, s.best_score
),

scores as (
    select
        worker_id,
        assessments,
        latest_taken_at,
        latest_score,
        best_score,
        case
            when latest_score is not null then percent_rank() over (
                partition by occupation_code, latest_score is null order by latest_score
            )
        end as score_percentile,
        latest_dimensions_scored,
        latest_dimension_mean_pct
    from with_dimensions
),

competition_summary as (
    select
        contestant_id as worker_id,
        count(distinct competition_id) as competitions_entered,
        max(standardised_score) as best_standardised_score,
        min(case medal when 'gold' then 1 when 'silver' then 2 when 'bronze' then 3 end) as best_medal_rank
    from competitions
    group by contestant_id
),

training_12m as (
    select t.worker_id, sum(t.hours) as training_hours_12m
    from training t
    cross join as_of
    where t.completed_at > as_of.as_of - interval '12 months'
        and t.completed_at <= as_of.as_of
    group by t.worker_id
),

current_mentorships as (
    select m.mentor_id, m.apprentice_id, m.signed_at
    from mentorships m
    cross join as_of
    where m.signed_at <= as_of.as_of
        and (m.ended_at is null or m.ended_at > as_of.as_of)
),

current_mentor as (
    select apprentice_id as worker_id, last(mentor_id order by signed_at, mentor_id) as mentor_id
    from current_mentorships
    group by apprentice_id
),

apprentice_counts as (
    select mentor_id as worker_id, count(distinct apprentice_id) as apprentices
    from current_mentorships
    group by mentor_id
),

final as (
    select
        w.worker_id,
        w.region_code,
        r.name as region_name,
        w.enterprise_id,
        w.position,
        w.occupation_code,
        o.name as occupation_name,
        c.ladder_order,
        lv.national_level as level,
        lv.name as level_name,
        coalesce(s.assessments, 0) as assessments,
        s.latest_taken_at,
        s.latest_score,
        s.best_score,
        s.score_percentile,
        coalesce(s.latest_dimensions_scored, 0) as latest_dimensions_scored,
        s.latest_dimension_mean_pct,
        coalesce(cs.competitions_entered, 0) as competitions_entered,
        cs.best_standardised_score,
        case cs.best_medal_rank when 1 then 'gold' when 2 then 'silver' when 3 then 'bronze' end as best_medal,
        coalesce(t.training_hours_12m, 0.0) as training_hours_12m,
        m.mentor_id,
        coalesce(ap.apprentices, 0) as apprentices,
        a.as_of
    from workers w
    cross join as_of a
    left join certified c on c.worker_id = w.worker_id
    left join ref_skill_levels lv on lv.ladder_order = c.ladder_order
    left join scores s on s.worker_id = w.worker_id
    left join competition_summary cs on cs.worker_id = w.worker_id
    left join training_12m t on t.worker_id = w.worker_id
    left join current_mentor m on m.worker_id = w.worker_id
    left join apprentice_counts ap on ap.worker_id = w.worker_id
    left join ref_regions r on r.code = w.region_code
    left join ref_occupations o on o.code = w.occupation_code
)

select * from final

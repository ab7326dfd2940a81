-- name: stg_assessment_results
-- description: Assessments taken, with the score as a percentage of the maximum (score_pct, 0–100). One row per event_id: the lake stores each event once, and the grain test checks it.
-- grain: event_id
-- materialized: view
-- tests: accepted_values(channel: mobile|onsite); relationships(region_code -> ref_regions.code); relationships(occupation_code -> ref_occupations.code)

with source as (
    select * from assessment_results
),

final as (
    select
        source.*,
        case when source.max_score > 0 then 100.0 * source.total_score / source.max_score end as score_pct
    from source
)

select * from final

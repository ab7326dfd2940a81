-- name: stg_certifications
-- description: Skill certificates issued to workers. One row per event_id: the lake stores each event once, and the grain test checks it.
-- grain: event_id
-- materialized: view
-- tests: not_null(worker_id, ladder_order); relationships(occupation_code -> ref_occupations.code)

with source as (
    select * from certifications
),

final as (
    select
        source.*
    from source
)

select * from final

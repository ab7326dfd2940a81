-- name: stg_training_records
-- description: Training courses attended. One row per event_id: the lake stores each event once, and the grain test checks it.
-- grain: event_id
-- materialized: view
-- tests: not_null(worker_id, hours)

with source as (
    select * from training_records
),

final as (
    select
        source.*
    from source
)

select * from final

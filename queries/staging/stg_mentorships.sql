-- name: stg_mentorships
-- description: Mentor–apprentice (师带徒) agreements. One row per event_id: the lake stores each event once, and the grain test checks it.
-- grain: event_id
-- materialized: view
-- tests: not_null(mentor_id, apprentice_id)

with source as (
    select * from mentorships
),

final as (
    select
        source.*
    from source
)

select * from final

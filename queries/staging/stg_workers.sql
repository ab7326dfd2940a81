-- name: stg_workers
-- description: The current version of each worker: a row with a newer updated_at supersedes older ones.
-- grain: worker_id
-- tests: not_null(region_code, updated_at); relationships(region_code -> ref_regions.code); relationships(occupation_code -> ref_occupations.code)

with source as (
    select * from workers
),

latest as (
    select worker_id, max(updated_at) as updated_at
    from source
    group by worker_id
),

final as (
    select s.*
    from source s
    join latest l on s.worker_id = l.worker_id and s.updated_at = l.updated_at
)

select * from final

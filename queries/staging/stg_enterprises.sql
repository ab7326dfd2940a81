-- name: stg_enterprises
-- description: The current version of each enterprise: a row with a newer updated_at supersedes older ones.
-- grain: enterprise_id
-- tests: not_null(region_code); relationships(region_code -> ref_regions.code)

with source as (
    select * from enterprises
),

latest as (
    select enterprise_id, max(updated_at) as updated_at
    from source
    group by enterprise_id
),

final as (
    select s.*
    from source s
    join latest l on s.enterprise_id = l.enterprise_id and s.updated_at = l.updated_at
)

select * from final

-- name: stg_assessment_dimension_scores
-- description: Ability-dimension scores of each assessment, with score_pct (0–100). One row per (event_id, dimension_code): the lake stores each once, and the grain test checks it.
-- grain: event_id, dimension_code
-- materialized: view
-- tests: not_null(score)

with source as (
    select * from assessment_dimension_scores
),

final as (
    select
        source.*,
        case when source.max_score > 0 then 100.0 * source.score / source.max_score end as score_pct
    from source
)

select * from final

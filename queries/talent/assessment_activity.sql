-- name: assessment_activity
-- description: Assessments taken per district, occupation, channel (mobile | onsite) and day (taken_on = the UTC date of taken_at): how many, how many passed, the average, lowest and highest score_pct (the percentage of the maximum score; assessments without a maximum count in assessments but not in the scores), and the first and last taken_at. What a live dashboard counts as assessments come in from phones and test centres. Every column is a count, sum, minimum, maximum or average over one append-only table, so while serving the model is kept incrementally: each commit's new assessments are merged into it rather than all assessments being read again.
-- grain: region_code, occupation_code, channel, taken_on
-- tests: not_null(assessments, passed, first_taken_at, last_taken_at); accepted_values(channel: mobile|onsite); relationships(region_code -> ref_regions.code); relationships(occupation_code -> ref_occupations.code)

with assessments as (
    select
        region_code,
        occupation_code,
        channel,
        cast(taken_at as date) as taken_on,
        taken_at,
        score_pct,
        passed
    from stg_assessment_results
),

final as (
    select
        region_code,
        occupation_code,
        channel,
        taken_on,
        count(*) as assessments,
        sum(case when passed then 1 else 0 end) as passed,
        avg(score_pct) as avg_score_pct,
        min(score_pct) as min_score_pct,
        max(score_pct) as max_score_pct,
        min(taken_at) as first_taken_at,
        max(taken_at) as last_taken_at
    from assessments
    group by region_code, occupation_code, channel, taken_on
)

select * from final

"""What we ask Facebook Pages for, as Meta's documentation stood on DOCUMENTED_ON.

- Post insights: the impressions metrics are deprecated for every API version
  ("we're deprecating the impressions metric. This metric will be replaced by the
  views metric on all API versions", Page Insights API updates, 15 August 2025,
  effective 15 November 2025). The deprecated-metrics page (updated 2 March 2026)
  lists `post_impressions` -> `post_media_view` and `post_impressions_unique` ->
  `post_total_media_view_unique`.
  https://developers.facebook.com/docs/platforminsights/page/deprecated-metrics
- Post `shares`: "The shares count of this post", an object `{"count": n}`, left
  out when nobody shared.
- Comments: `summary=true` answers `summary.total_count`; with `filter=stream` it
  counts "all comments (including replies)".
  https://developers.facebook.com/docs/graph-api/reference/object/comments
"""

DOCUMENTED_ON = "2026-03-02"
POST_FIELDS = "id,message,created_time,permalink_url,shares"
POST_METRICS = ("post_media_view", "post_total_media_view_unique", "post_clicks", "post_reactions_by_type_total")
COMMENT_FIELDS = "id,from,created_time"
COMMENT_PARAMS = {"fields": COMMENT_FIELDS, "summary": "true", "filter": "stream"}
# post insight -> unified post_metrics column
METRIC_COLUMNS = {"post_media_view": "impressions", "post_total_media_view_unique": "reach", "post_clicks": "clicks"}

"""What we ask the Instagram Graph API for, as Meta's documentation stood on DOCUMENTED_ON.

- `/{ig-user-id}/media` lists feed posts and reels, never stories. Stories come
  from `/{ig-user-id}/stories`: "Stories are only available for 24 hours", so a
  daily pull must take them, and their insights, before they go.
  https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/stories
- Media insights: `impressions` is deprecated ("will be deprecated for all versions
  on April 21, 2025"); `views` replaces it for FEED, STORY and REELS. Story metrics
  are reach, replies, shares, total_interactions, follows, profile_visits,
  navigation and views. Instagram refuses a metric a media type does not support
  ("(#100) The Media Insights API does not support the ... metric for this media
  product type.") and all metrics of media with too few viewers ("(#10) Not enough
  viewers for the media to show insights").
  https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
"""

DOCUMENTED_ON = "2026-03-02"
MEDIA_FIELDS = "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count"
STORY_FIELDS = "id,caption,media_type,media_product_type,timestamp,permalink"
MEDIA_METRICS = ("reach", "views", "likes", "comments", "saved", "shares", "total_interactions")
STORY_METRICS = ("reach", "views", "replies", "shares", "total_interactions", "follows", "profile_visits", "navigation")

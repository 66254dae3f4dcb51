"""What the marketing dashboard shows, read from the warehouse: plain queries on a DB-API connection."""

"""CRM drop CSVs -> typed users and orders; rows that cannot be typed come back apart with a reason."""

from __future__ import annotations

import io

import pandas as pd

USER_ID_COLUMNS = ("facebook_id", "instagram_id", "x_id")


def _read(payload: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _split(frame: pd.DataFrame, reasons: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    bad = reasons != ""
    original = frame.loc[bad].astype(str).to_dict("records")
    quarantined = pd.DataFrame({"reason": reasons[bad].str.rstrip("; ").tolist(),
                                "original": [str(o) for o in original]})
    return frame.loc[~bad].reset_index(drop=True), quarantined


def clean_orders(payload: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders with UTC times, numeric amounts and a null utm_campaign for organic orders."""
    raw = _read(payload)
    frame = raw.copy()
    reasons = pd.Series("", index=frame.index, dtype="object")
    for column in ("order_id", "user_id", "currency"):
        reasons = reasons.where(frame[column].str.strip() != "", reasons + f"{column} missing; ")
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], utc=True, errors="coerce", format="ISO8601")
    reasons = reasons.where(frame["ordered_at"].notna(), reasons + "ordered_at is not an ISO time; ")
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").astype("Float64")
    reasons = reasons.where(frame["amount"].notna(), reasons + "amount is not a number; ")
    reasons = reasons.where(~(frame["amount"] < 0).fillna(False), reasons + "amount is negative; ")
    frame["utm_campaign"] = frame["utm_campaign"].str.strip().replace("", pd.NA).astype("string")
    frame["currency"] = frame["currency"].str.strip().str.upper()
    clean, quarantined = _split(frame, reasons)
    clean["order_date"] = clean["ordered_at"].dt.date
    return clean.drop_duplicates("order_id", keep="last").reset_index(drop=True), quarantined


def clean_users(payload: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Users with numeric ages, dates and null for platforms a user did not link."""
    frame = _read(payload)
    reasons = pd.Series("", index=frame.index, dtype="object")
    reasons = reasons.where(frame["user_id"].str.strip() != "", reasons + "user_id missing; ")
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce").astype("Int64")
    frame["signup_date"] = pd.to_datetime(frame["signup_date"], errors="coerce", format="%Y-%m-%d").dt.date
    reasons = reasons.where(frame["signup_date"].notna(), reasons + "signup_date is not YYYY-MM-DD; ")
    for column in USER_ID_COLUMNS:
        frame[column] = frame[column].replace("", pd.NA).astype("string") if column in frame else pd.NA
    clean, quarantined = _split(frame, reasons)
    return clean.drop_duplicates("user_id", keep="last").reset_index(drop=True), quarantined


def attribution(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders and revenue per (order day, utm_campaign): what campaign_metrics_daily credits."""
    attributed = orders.dropna(subset=["utm_campaign"])
    return (attributed.groupby(["order_date", "utm_campaign"], as_index=False)
            .agg(attributed_orders=("order_id", "count"), attributed_revenue=("amount", "sum"))
            .rename(columns={"order_date": "metric_date", "utm_campaign": "campaign_id"}))

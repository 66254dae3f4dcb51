"""Audience intelligence: profiles, segments, conversion propensity, targeting and recommendations.

Pure functions on pandas frames (scikit-learn and TensorFlow imported where used);
jobs/audience.py reads the lake and writes the warehouse around them.
"""

"""Surveys over SMS (市场调查): questions sent to a segment or started by a keyword, answered one by one."""

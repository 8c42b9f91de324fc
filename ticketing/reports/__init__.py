"""Supervisor analytics: the figures behind the dashboard, the reports and their exports.

Each module holds one report or one building block; ``services/reports.py`` opens the session
and the web layer (``web/report_views.py``) only parses the query and serialises the answer.
Every figure of a report comes with a short "how computed" text, so the page can show its
definition next to it.

- :mod:`.periods`       the reporting period in the shop's time zone, buckets by week/month
- :mod:`.stats`         percentiles, averages, correlation: pure arithmetic
- :mod:`.privacy`       masking personal data for roles that should not see it
- :mod:`.text`          normalising, tokenising and grouping customer text
- :mod:`.timing`        business minutes of many spans, fast (the shop's calendar)
- :mod:`.common`        period filters, CSAT blocks, query-string helpers
- :mod:`.outcomes`      contained / escalated / abandoned / ongoing conversations
- :mod:`.response_times` first-response, next-response and resolution times of a period
- :mod:`.summary`       the dashboard summary (and its previous period)
- :mod:`.complaints`    complaint analysis
- :mod:`.agents`        agent and team performance
- :mod:`.satisfaction`  the satisfaction report with the CSI
- :mod:`.transcripts`   the transcripts' names in one place: :mod:`.transcript_search`
                        (filters, full-text search), :mod:`.transcript_list` (the list and
                        its CSV rows), :mod:`.transcript_detail` (one transcript)
- :mod:`.ticket_export` the ticket list as CSV
- :mod:`.improvement`   the NLU review list, labels and the Rasa NLU export
- :mod:`.actions`       improvement actions
- :mod:`.csv_export`    streamed CSV with a guard against formula injection
"""

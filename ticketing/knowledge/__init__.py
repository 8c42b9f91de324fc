"""The help centre: articles (versions, Markdown with shop facts), search, answers."""

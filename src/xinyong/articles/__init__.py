"""Policy and news articles (信用动态 / 政策法规) written by the credit office."""

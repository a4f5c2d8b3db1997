from sqlalchemy import text
from sqlalchemy.orm import Session


def test_session_reaches_the_database(session: Session) -> None:
    assert session.execute(text("SELECT 1")).scalar() == 1

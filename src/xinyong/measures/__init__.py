"""Lists (名单) and measures (奖惩措施) as data: the list definitions and the measure list
(失信惩戒措施清单 / 守信激励措施清单), each with its legal basis (issue 6)."""

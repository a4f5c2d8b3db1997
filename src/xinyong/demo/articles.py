"""Demo articles for the public credit website (信用动态 / 政策法规)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.articles.models import Article
from xinyong.articles.service import create_article, publish_article
from xinyong.db import CHINA_TZ

SOURCE = "市信用办"

# (days before today, kind, title, summary, body)
SAMPLES: list[tuple[int, str, str, str | None, str]] = [
    (
        3,
        "news",
        "关于开展信用修复集中服务的通知",
        "市信用办将于本月集中受理行政处罚信息信用修复申请，提供“一次告知、网上办理”服务。",
        """各有关单位、经营主体：

为帮助已纠正失信行为的经营主体及时重塑信用，市信用办决定开展信用修复集中服务活动。

## 一、服务对象

行政处罚信息公示期已满**最短公示期**、已履行行政处罚决定并完成整改的经营主体。

## 二、办理方式

1. 登录本网站“信用查询”，查询本单位的行政处罚公示信息及可修复时间；
2. 在本单位信用档案页面点击“申请信用修复”，对照材料清单在线提交申请，\
凭案件编号和查询码在“办件查询”跟踪进度；
3. 对申请材料有疑问的，可向市信用办咨询。

## 三、注意事项

- 严重失信主体名单信息的修复，按名单认定部门的规定办理；
- 信用修复不收取任何费用，请勿轻信任何中介机构“代办修复”。

特此通知。
""",
    ),
    (
        10,
        "news",
        "关于通报本市“双公示”数据报送质量情况的通知",
        "通报上月各部门行政许可、行政处罚信息报送的合规率和及时率，请未达标部门限期整改。",
        """各部门：

根据“双公示”工作要求，市信用办对上月各部门报送的行政许可、行政处罚信息进行了质量检查。

| 指标 | 要求 |
|---|---|
| 合规率 | 不低于 99% |
| 及时率 | 作出决定之日起 7 个工作日内报送 |

检查发现，部分部门存在统一社会信用代码错误、处罚依据缺失、报送不及时等问题。\
请相关部门登录平台“待修正数据”栏目逐条修正后重新报送，并于下月 10 日前完成整改。

详细排行请见平台工作人员入口“数据质量排行与通报”。
""",
    ),
    (
        21,
        "policy",
        "《失信行为纠正后的信用信息修复管理办法（试行）》要点",
        "国家发展改革委令第58号自2023年5月1日起施行，规定了行政处罚信息的最短、最长公示期和修复程序。",
        """《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令第58号）\
自 2023 年 5 月 1 日起施行。

## 主要内容

- **修复方式**：包括移出严重失信主体名单、终止公示行政处罚信息和修复其他失信信息。
- **一般失信行为**：行政处罚信息最短公示期为 3 个月，最长公示期为 1 年。
- **严重失信行为**：行政处罚信息最短公示期为 1 年，最长公示期为 3 年。
- **期满处理**：最长公示期届满的，自动停止公示。

> 信用主体在失信行为纠正后，可以按照本办法申请信用修复。

## 本平台如何适用

公示期限按作出处罚决定之日施行的规定计算：\
2026 年 4 月 1 日起，信用修复按《信用修复管理办法》（国家发展改革委令第36号）执行。\
公示事项和字段说明见本网站“[信用信息目录](/catalog)”。
""",
    ),
    (
        35,
        "policy",
        "关于进一步规范行政许可和行政处罚等信用信息公示工作的通知",
        "明确行政许可、行政处罚信息的公示范围、公示期限及个人信息去标识化要求。",
        """为规范行政许可和行政处罚等信用信息公示工作，现就有关事项通知如下：

1. 行政许可、行政处罚信息应自作出决定之日起 7 个工作日内上网公示；
2. 公示信息中涉及自然人的，应对身份证号码等个人信息进行去标识化处理；
3. 行政处罚决定被依法变更、撤销、确认违法或者确认无效的，应在 3 个工作日内撤下相关信息。

各部门应按照公共信用信息目录报送数据，确保数据准确、完整、及时。
""",
    ),
]


def sample_articles(session: Session, actor: Actor, today: dt.date) -> list[Article]:
    """Create and publish the demo articles, dated some days before ``today`` (09:30
    China time), through the service (audited like any other)."""
    created = []
    for days, kind, title, summary, body in SAMPLES:
        article = create_article(
            session, actor=actor, kind=kind, title=title, body=body, summary=summary, source=SOURCE
        )
        day = today - dt.timedelta(days=days)
        when = dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=CHINA_TZ)
        created.append(
            publish_article(session, actor=actor, article_id=article.id, published_at=when)
        )
    return created

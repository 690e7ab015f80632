"""Demo data for a new installation: a barbecue shop with members, purchases and rewards to look at."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from mcrm.db import db, utcnow
from mcrm.members.birthdays import Birthday
from mcrm.members.models import Gender, Source
from mcrm.members.services import create_member
from mcrm.points.models import Channel, Reward
from mcrm.points.services import record_purchase, redeem
from tenants.isolation import scoped_to
from tenants.models import Tenant

NAMES = [
    "王芳",
    "李伟",
    "张娜",
    "刘洋",
    "陈静",
    "杨磊",
    "黄丽",
    "赵强",
    "吴敏",
    "周杰",
    "徐婷",
    "孙浩",
    "马超",
    "朱琳",
    "胡军",
    "郭燕",
    "何平",
    "高翔",
    "林雪",
    "罗斌",
    "梁晨",
    "宋佳",
    "郑凯",
    "谢婷",
]
TAGS = ["常客", "VIP", "爱吃辣", "外卖", "生日会员"]


def fill_demo_shop(tenant: Tenant, seed: int = 2380) -> None:
    """Rewards, a welcome bonus, and two dozen members with three months of purchases; the caller commits."""
    rng = random.Random(seed)
    with scoped_to(tenant.id):
        tenant.welcome_bonus = 20
        rewards = [
            Reward(tenant_id=tenant.id, name=name, points_cost=cost)
            for name, cost in (("扎啤一杯", 100), ("烤串拼盘", 300), ("招牌烤鱼", 800))
        ]
        db.add_all(rewards)
        db.flush()
        for n, name in enumerate(NAMES):
            birthday = Birthday(
                month=rng.randint(1, 12), day=rng.randint(1, 28), year=rng.randint(1970, 2004), lunar=n % 5 == 0
            )
            member = create_member(
                tenant,
                phone=f"1390013{n:04d}",
                name=name,
                source=Source.PORTAL,
                gender=Gender.FEMALE if n % 2 else Gender.MALE,
                birthday=birthday,
                tags=rng.sample(TAGS, k=rng.randint(0, 2)),
                consent_evidence="demo data",
            )
            for _visit in range(rng.randint(0, 8)):
                when = utcnow() - dt.timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 5))
                amount = Decimal(rng.randint(4000, 60000)) / 100
                record_purchase(tenant, member, amount, channel=Channel.WAP, occurred_at=when)
            if member.points_balance >= rewards[0].points_cost and rng.random() < 0.5:
                redeem(tenant, member, 0, reward=rewards[0])

"""Fictional Chinese names and phone numbers for demo data (deterministic per seed)."""
import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建国建华文志海燕晨宇浩然子涵欣怡思远佳琪俊杰雨轩梓萱一鸣慧敏晓东立新卫东春梅秋菊冬青"


def chinese_name(rng: random.Random) -> tuple[str, str]:
    """(last_name, first_name): a surname and a one- or two-character given name."""
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES), given


def mobile(rng: random.Random) -> str:
    """A mobile-shaped number in the 170/171 virtual-operator ranges (not a real subscriber)."""
    return f"17{rng.choice('01')}{rng.randrange(10**8):08d}"

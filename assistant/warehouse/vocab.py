"""Vocabulary of the sample warehouse: regions and cities, industries, channels, categories, names.

Kept as data so the generator, the docs and (later) the router's entity lists agree.
"""

from __future__ import annotations

# region: (English name, share of customers, cities with their weight inside the region)
REGIONS: dict[str, tuple[str, float, dict[str, float]]] = {
    "华东": (
        "East China",
        0.30,
        {
            "上海": 5,
            "杭州": 3,
            "南京": 3,
            "苏州": 3,
            "宁波": 2,
            "合肥": 2,
            "济南": 2,
            "青岛": 2,
            "福州": 1.5,
            "厦门": 1.5,
        },
    ),
    "华北": ("North China", 0.17, {"北京": 6, "天津": 3, "石家庄": 2, "太原": 1.5, "呼和浩特": 1}),
    "华南": ("South China", 0.20, {"广州": 5, "深圳": 5, "东莞": 2, "佛山": 2, "南宁": 1.5, "海口": 1}),
    "华中": ("Central China", 0.11, {"武汉": 4, "长沙": 3, "郑州": 3, "南昌": 2}),
    "西南": ("Southwest China", 0.10, {"成都": 4, "重庆": 4, "昆明": 2, "贵阳": 1.5}),
    "西北": ("Northwest China", 0.05, {"西安": 4, "兰州": 1.5, "乌鲁木齐": 1.5, "银川": 1}),
    "东北": ("Northeast China", 0.07, {"沈阳": 3, "大连": 3, "长春": 2, "哈尔滨": 2.5}),
}

# industry: (English, share of company customers, words used in company names, category affinity boost)
INDUSTRIES: dict[str, tuple[str, float, tuple[str, ...]]] = {
    "制造业": ("Manufacturing", 0.18, ("机械", "制造", "精密", "电子")),
    "零售业": ("Retail", 0.12, ("商贸", "百货", "商业")),
    "信息技术": ("IT", 0.13, ("科技", "软件", "信息技术", "网络")),
    "教育": ("Education", 0.07, ("教育科技", "培训")),
    "医疗健康": ("Healthcare", 0.08, ("医疗器械", "医药", "健康")),
    "金融": ("Finance", 0.06, ("投资", "金融服务", "资产管理")),
    "物流运输": ("Logistics", 0.08, ("物流", "运输", "供应链")),
    "建筑工程": ("Construction", 0.08, ("建设", "工程", "建材")),
    "餐饮酒店": ("Hospitality", 0.06, ("餐饮管理", "酒店管理")),
    "能源化工": ("Energy & chemicals", 0.06, ("能源", "化工", "新材料")),
    "文化传媒": ("Media", 0.05, ("文化传媒", "广告", "传媒")),
    "政府及事业单位": ("Public sector", 0.03, ("服务中心", "研究院")),
}
CONSUMER_INDUSTRY = "个人消费者"

# size: (English, share, spend multiplier, order-rate multiplier)
SIZES: dict[str, tuple[str, float, float, float]] = {
    "个人": ("Individual", 0.12, 0.25, 0.8),
    "微型": ("Micro", 0.22, 0.5, 0.8),
    "小型": ("Small", 0.32, 1.0, 1.0),
    "中型": ("Medium", 0.22, 2.2, 1.2),
    "大型": ("Large", 0.12, 5.0, 1.5),
}

SALES_CHANNELS: dict[str, str] = {
    "线上": "Online",
    "门店": "Store",
    "直销": "Direct sales",
    "经销商": "Distributor",
    "电话": "Phone",
}
# acquisition channel: (English, share, cost per acquired customer in CNY, preferred sales channel)
ACQUISITION_CHANNELS: dict[str, tuple[str, float, float, str]] = {
    "线上推广": ("Online ads", 0.25, 900.0, "线上"),
    "搜索引擎": ("Search", 0.15, 700.0, "线上"),
    "展会": ("Trade fairs", 0.15, 2600.0, "直销"),
    "老客户推荐": ("Referrals", 0.15, 300.0, "直销"),
    "电话营销": ("Telemarketing", 0.12, 1100.0, "电话"),
    "渠道合作": ("Partners", 0.18, 1500.0, "经销商"),
}

# category: (English, price range in CNY, quantity factor, base product names)
CATEGORIES: dict[str, tuple[str, tuple[float, float], float, tuple[str, ...]]] = {
    "办公设备": (
        "Office equipment",
        (800, 9000),
        0.6,
        ("激光打印机", "多功能一体机", "投影仪", "碎纸机", "扫描仪", "考勤机", "复印机"),
    ),
    "电脑配件": (
        "Computer accessories",
        (40, 900),
        1.6,
        ("无线键鼠套装", "显示器支架", "移动硬盘", "U盘", "扩展坞", "降噪耳机", "摄像头"),
    ),
    "网络设备": ("Networking", (150, 6000), 0.8, ("千兆交换机", "企业路由器", "无线AP", "防火墙", "网线套装", "光猫")),
    "办公耗材": (
        "Office supplies",
        (5, 300),
        3.0,
        ("A4复印纸", "硒鼓", "墨盒", "签字笔", "文件夹", "标签纸", "订书钉"),
    ),
    "办公家具": (
        "Office furniture",
        (300, 5000),
        0.7,
        ("人体工学椅", "升降办公桌", "文件柜", "会议桌", "屏风工位", "沙发"),
    ),
    "软件服务": (
        "Software & services",
        (500, 20000),
        0.5,
        ("正版办公软件", "杀毒软件", "云存储服务", "ERP年费", "CRM席位", "远程运维服务"),
    ),
    "安防设备": ("Security", (200, 8000), 0.7, ("监控摄像机", "门禁系统", "硬盘录像机", "智能门锁", "报警器")),
    "清洁用品": ("Cleaning", (10, 400), 2.5, ("洗手液", "消毒湿巾", "垃圾袋", "清洁剂", "拖把套装", "纸巾")),
}

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵欧阳解强"
)
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞辉建国文斌宇浩凯晨欣怡婷雪琳丹亮成佳慧晶波宁峰鑫雷俊鹏志林帅云莉倩岩"
)
# The demo reps named in examples (张伟, 李娜, …) exist in every sample.
FIXED_REP_NAMES = ("张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞", "徐明", "孙丽")
BRAND_CHARS = tuple("华信泰达鑫源盛恒瑞安博宏远嘉联创新康隆德诚汇丰润天通科海金明正和佳东方兴元中宇凯")
COMPANY_SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")

TICKET_CATEGORIES: dict[str, dict[str, str]] = {
    # kind -> category -> department
    "complaint": {
        "产品质量": "技术支持部",
        "物流配送": "物流部",
        "售后服务": "客服部",
        "价格争议": "销售部",
        "开票结算": "财务部",
        "服务态度": "客服部",
    },
    "inquiry": {
        "产品咨询": "销售部",
        "价格咨询": "销售部",
        "订单查询": "客服部",
        "技术支持": "技术支持部",
        "发票咨询": "财务部",
    },
    "suggestion": {"产品改进": "技术支持部", "服务改进": "客服部", "功能建议": "技术支持部"},
}
TICKET_CHANNELS = ("电话", "邮件", "在线客服", "微信", "上门")
# department -> purposes of its contacts
CONTACT_PURPOSES: dict[str, tuple[str, ...]] = {
    "销售部": ("客户拜访", "商务洽谈", "节日问候", "续约沟通"),
    "客服部": ("满意度回访", "售后回访", "投诉跟进"),
    "技术支持部": ("上门维护", "产品培训", "远程支持"),
    "财务部": ("对账", "催款"),
    "市场部": ("活动邀请", "新品推介"),
}
CONTACT_CHANNELS = ("电话", "上门拜访", "微信", "邮件", "视频会议")
SURVEY_COMMENTS = {
    "good": ("服务很专业,响应及时", "产品质量稳定,会继续合作", "销售经理很负责", "交付快,体验好", "性价比不错"),
    "mid": ("整体还可以", "价格偏高一些", "希望配送再快一点", "售后流程有点繁琐"),
    "bad": ("投诉处理太慢", "产品故障多次未解决", "发票总是开错", "联系不上负责人", "考虑换供应商了"),
}

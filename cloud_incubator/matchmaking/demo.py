"""Demo matchmaking data: 62 startup profiles (the 6 demo startups plus 56 without accounts), 20 investors
(the 4 demo investor accounts plus 16 profiles), 8 large-firm open calls, 6 service providers, one match with
a negotiation thread and a signed cooperation, and one assigned matchmaking session."""

from __future__ import annotations

from datetime import timedelta

from backend.demo.seed import DemoContext
from cloud_incubator.matchmaking.models import Decision
from cloud_incubator.matchmaking.scoring import STAGES
from cloud_incubator.matchmaking.service import service

# (zh, en, description) per industry; stages, asks and needs are derived from the position.
STARTUPS: dict[str, list[tuple[str, str, str]]] = {
    "fintech": [
        ("融信链", "RongXin Chain", "区块链供应链金融平台，为中小企业提供应收账款融资 blockchain supply-chain finance"),
        ("智风控", "SmartRisk", "面向银行的实时反欺诈与信贷风控模型 real-time fraud detection credit risk"),
        ("安付通", "SafePay", "跨境支付清算与合规服务 cross-border payment compliance"),
        ("数保科技", "InsurData", "保险科技理赔自动化与精算数据 insurtech claims automation"),
        ("金算云", "FinCompute Cloud", "金融机构私有云与核心系统上云 core banking cloud migration"),
        ("合规宝", "RegTech Box", "监管科技报送与反洗钱 regtech reporting anti-money laundering"),
        ("普惠信贷", "Inclusive Lending", "小微企业普惠信贷数字化 SME digital lending"),
        ("量策投研", "QuantLens", "智能投研与资产配置 quantitative research asset allocation"),
        ("票据通", "BillFlow", "电子票据流转与贴现 digital bills discounting"),
        ("碳账本", "CarbonLedger", "碳资产核算与绿色金融 carbon accounting green finance"),
        ("数字身份", "IDVerify", "数字身份认证与隐私计算 digital identity privacy computing"),
        ("财富管家", "WealthPilot", "智能投顾与财富管理 robo advisory wealth management"),
        ("链上审计", "ChainAudit", "链上审计与智能合约安全 smart contract security audit"),
        ("移动收单", "PayEdge", "商户移动收单与营销 merchant acquiring payments"),
    ],
    "digital": [
        ("云图智算", "CloudMap AI", "城市级数字孪生与时空数据平台 digital twin spatial data"),
        ("边缘视觉", "EdgeVision", "工业边缘视觉检测 industrial edge vision inspection"),
        ("数联工场", "DataWorks Link", "工业互联网数据采集与分析 industrial IoT analytics"),
        ("语义智能", "SemanticAI", "大模型企业知识库与智能客服 LLM knowledge base customer service"),
        ("安盾网络", "ShieldNet", "零信任网络安全 zero trust network security"),
        ("芯感科技", "ChipSense", "低功耗传感芯片与模组 low-power sensor chips"),
        ("数智政务", "GovData", "政务数据治理与一网通办 government data governance"),
        ("慧医数据", "MediData", "医疗影像人工智能辅助诊断 medical imaging AI"),
        ("低代码工坊", "LowCode Studio", "企业低代码开发平台 low-code platform"),
        ("机器人流程", "FlowBot", "机器人流程自动化 RPA process automation"),
        ("数据交易所", "DataMart", "数据要素流通与合规交易 data exchange compliance"),
        ("算力调度", "ComputeGrid", "算力网络调度与云原生 compute scheduling cloud native"),
        ("智慧物流", "SmartLogix", "物流路径优化与仓储机器人 logistics optimisation robots"),
        ("开源基座", "OpenBase", "国产数据库与开源中间件 database middleware"),
    ],
    "rd_design": [
        ("匠造设计", "Artisan Make", "工业产品外观与结构设计 industrial product design"),
        ("精模研发", "PrecisionMold", "精密模具与快速原型 precision molds rapid prototyping"),
        ("仿真工场", "SimWorks", "工程仿真与数字样机 engineering simulation"),
        ("光学研创", "OptiCraft", "光学镜头与成像模组设计 optical lens design"),
        ("新材研究院", "NewMat Lab", "新材料研发与检测 advanced materials testing"),
        ("智能硬件坊", "HardwareHub", "智能硬件方案设计与小批量试产 smart hardware pilot production"),
        ("建筑数字设计", "ArchDigital", "建筑信息模型与城市更新设计 BIM urban renewal"),
        ("医械研发", "MedDevice R&D", "医疗器械研发与注册咨询 medical device development"),
        ("交互设计所", "UX Atelier", "用户体验与交互设计 UX interaction design"),
        ("芯片设计", "SiliconDraft", "集成电路前端设计服务 IC front-end design"),
        ("汽车电子", "AutoElec", "汽车电子控制器研发 automotive electronics"),
        ("检测认证", "TestCert", "产品检测认证与标准研究 testing certification standards"),
        ("绿色建材", "GreenBuild", "绿色建材配方研发 green building materials"),
        ("无人机研创", "DroneLab", "行业无人机整机设计 industrial drone design"),
    ],
    "culture_tech": [
        ("数字文博", "DigiMuseum", "博物馆数字化与沉浸式展陈 museum digitisation immersive exhibition"),
        ("虚拟演艺", "VirtualStage", "虚拟演出与动作捕捉 virtual performance motion capture"),
        ("国潮动漫", "GuoChao Animation", "原创动漫IP与衍生品 animation IP licensing"),
        ("声音工坊", "SoundCraft", "AI配音与有声内容 AI voice audio content"),
        ("文旅元宇宙", "TourVerse", "文旅场景元宇宙与数字导览 cultural tourism metaverse"),
        ("互动影像", "InterFilm", "互动影视与短剧制作 interactive film"),
        ("非遗数字", "HeritageDigital", "非物质文化遗产数字化保护 intangible heritage digitisation"),
        ("游戏引擎", "PlayEngine", "功能游戏与教育游戏引擎 serious games engine"),
        ("数字版权", "CopyrightChain", "数字版权确权与交易 digital copyright registration"),
        ("光影秀场", "LightShow", "城市灯光秀与投影 projection mapping"),
        ("音乐科技", "MusicTech", "AI作曲与音乐版权 AI music copyright"),
        ("潮玩设计", "TrendToys", "潮玩设计与IP运营 designer toys IP"),
        ("阅读平台", "ReadHub", "数字阅读与知识付费 digital reading"),
        ("体育科技", "SportsTech", "智能体育与赛事直播 sports analytics live streaming"),
    ],
}

# Existing demo startups 01..06: (stage, needs, ask range 10k CNY, tags, description)
DEMO_PROFILES = [
    ("series_a", ["funding", "ip"], (800, 1500), ["blockchain", "supply chain finance"],
     "基于区块链的供应链金融平台，服务核心企业上下游 blockchain supply chain finance platform"),
    ("pre_a", ["funding", "supply_chain"], (300, 600), ["ai", "computing"],
     "企业级智能算力调度与模型服务 AI compute scheduling model serving"),
    ("angel", ["funding", "market"], (100, 200), ["industrial design", "hardware"],
     "工业产品外观与结构设计，智能硬件整机方案 industrial product design hardware"),
    ("seed", ["funding", "office"], (50, 100), ["animation", "ip"],
     "国风动画短片与文创衍生品 animation cultural products"),
    ("series_a", ["funding", "legal"], (1000, 2000), ["security", "privacy"],
     "数据安全与隐私计算平台 data security privacy computing"),
    ("pre_a", ["funding", "finance"], (500, 800), ["lending", "sme"],
     "小微企业普惠金融风控与信贷服务 SME lending risk control"),
]

INVESTOR_ACCOUNTS = [
    ("investor01", "西城科创基金", "Xicheng Innovation Fund", ["fintech", "digital"], ["pre_a", "series_a"], (500, 2000)),
    ("investor02", "金融街资本", "Financial Street Capital", ["fintech"], ["series_a", "series_b"], (1000, 5000)),
    ("investor03", "北展天使", "Beizhan Angels", ["culture_tech", "rd_design"], ["seed", "angel"], (50, 300)),
    ("investor04", "中关村协同创投", "ZGC Synergy Ventures", ["digital", "rd_design"], ["angel", "pre_a"], (200, 1000)),
]
INVESTORS = [
    ("德胜天使汇", "Desheng Angel Club", ["digital"], ["seed", "angel"], (30, 200)),
    ("广安产业基金", "Guang'an Industry Fund", ["rd_design", "digital"], ["series_a", "series_b"], (2000, 8000)),
    ("文科融合基金", "Culture-Tech Fusion Fund", ["culture_tech"], ["angel", "pre_a", "series_a"], (300, 1500)),
    ("京西创投", "Jingxi Ventures", ["fintech", "digital"], ["pre_a", "series_a"], (500, 3000)),
    ("红杉种子（示例）", "Seedling Partners", [], ["seed", "angel"], (50, 500)),
    ("国投创新（示例）", "State Innovation Capital", ["digital", "rd_design"], ["series_b", "series_c_plus"], (5000, 30000)),
    ("金科成长基金", "FinTech Growth Fund", ["fintech"], ["series_b", "series_c_plus"], (3000, 20000)),
    ("设计之都基金", "Design Capital Fund", ["rd_design"], ["angel", "pre_a"], (100, 800)),
    ("数字经济母基金", "Digital Economy FoF", ["digital"], ["series_a", "series_b"], (1000, 6000)),
    ("什刹海文旅基金", "Shichahai Tourism Fund", ["culture_tech"], ["seed", "angel", "pre_a"], (50, 600)),
    ("硬科技天使", "Hard-Tech Angels", ["rd_design", "digital"], ["seed", "angel"], (50, 400)),
    ("中关村银行投贷联动", "ZGC Bank Venture Debt", [], ["pre_a", "series_a", "series_b"], (500, 5000)),
    ("北京文投", "Beijing Culture Investment", ["culture_tech"], ["series_a", "series_b"], (1000, 5000)),
    ("西城引导基金", "Xicheng Guidance Fund", ["fintech", "digital", "rd_design", "culture_tech"],
     ["angel", "pre_a", "series_a"], (200, 2000)),
    ("普惠金融实验室", "Inclusive Finance Lab", ["fintech"], ["seed", "angel", "pre_a"], (50, 500)),
    ("产业互联网基金", "Industrial Internet Fund", ["digital", "rd_design"], ["pre_a", "series_a"], (500, 2500)),
]
FIRM_CALLS = [
    ("国有大行：供应链金融风控模型揭榜", "State bank: supply-chain finance risk model", "某国有大型商业银行",
     ["fintech"], "征集供应链金融风控与票据识别的联合研发伙伴 supply chain finance risk model bills recognition"),
    ("电网企业：边缘视觉巡检", "Grid operator: edge vision inspection", "国家电网北京公司（示例）",
     ["digital"], "输电线路边缘视觉巡检算法与设备供应商 edge vision inspection drone"),
    ("车企：汽车电子控制器联合开发", "Carmaker: automotive controller co-development", "北汽集团（示例）",
     ["rd_design"], "车身控制器与传感模组联合开发 automotive electronics sensor modules"),
    ("文旅集团：沉浸式夜游", "Tourism group: immersive night tours", "首旅集团（示例）",
     ["culture_tech"], "沉浸式夜游、灯光秀与数字导览供应商 projection mapping digital guide"),
    ("保险集团：理赔自动化", "Insurer: claims automation", "中国人寿（示例）",
     ["fintech"], "保险理赔自动化与医疗票据识别 insurtech claims automation"),
    ("通信运营商：算力网络", "Telecom operator: compute network", "中国移动北京（示例）",
     ["digital"], "算力调度、云原生与数据中心节能 compute scheduling cloud native"),
    ("博物馆联盟：文物数字化", "Museum alliance: relic digitisation", "北京博物馆学会（示例）",
     ["culture_tech"], "文物三维数字化与沉浸式展陈 museum digitisation immersive exhibition"),
    ("医疗集团：医械研发外包", "Hospital group: medical device R&D", "北京某三甲医院集团（示例）",
     ["rd_design", "digital"], "医疗器械研发设计与影像人工智能 medical device development imaging AI"),
]
PROVIDERS = [
    ("西城知识产权服务中心", "Xicheng IP Service Center", ["ip"], "专利布局、商标与知识产权导航 patent portfolio IP navigation"),
    ("金融街律师事务所", "Financial Street Law Firm", ["legal"], "投融资法律与合规 financing legal compliance"),
    ("创融财税", "ChuangRong Tax & Accounting", ["finance"], "财税筹划与高企认定 tax accounting HNTE certification"),
    ("德胜共享办公", "Desheng Co-working", ["office"], "灵活办公空间与孵化工位 flexible office space"),
    ("中关村市场通", "ZGC Market Access", ["market"], "政府采购与大企业渠道对接 market access channels"),
    ("知产法务联盟", "IP Legal Alliance", ["ip", "legal"], "知识产权诉讼与维权 IP litigation"),
]


async def seed_matchmaking(ctx: DemoContext) -> None:
    state = ctx.state
    mm = service(state)
    admin = await state.users.by_username("admin")
    assert admin is not None, "the registry seeder runs first"
    incubators = await state.incubators.all()
    by_industry = {i: [inc for inc in incubators if i in [x.value for x in inc.industries]] or incubators
                   for i in STARTUPS}
    for number, (stage, needs, ask, tags, description) in enumerate(DEMO_PROFILES, start=1):
        await mm.update_startup(admin, f"demo-startup-{number:02d}", {
            "stage": stage, "needs": needs, "ask_min": ask[0], "ask_max": ask[1], "tags": tags,
            "description": description, "founded_year": 2016 + number, "team_size": 8 + 7 * number})
    startup_ids = [f"demo-startup-{n:02d}" for n in range(1, 7)]
    for industry, rows in STARTUPS.items():
        homes = by_industry[industry]
        for k, (zh, en, description) in enumerate(rows):
            stage = STAGES[k % len(STAGES)]
            low = (50, 100, 300, 800, 2000, 5000)[k % 6]
            needs = ["funding", ("supply_chain", "ip", "market", "office", "legal", "finance")[k % 6]]
            startup = await mm.create_startup(admin, {
                "name_zh": zh, "name_en": en, "incubator_id": homes[k % len(homes)].id, "industry": industry,
                "stage": stage, "needs": needs, "ask_min": low, "ask_max": low * 2, "description": description,
                "tags": [industry.replace("_", " ")], "founded_year": 2015 + k % 10, "team_size": 5 + 3 * k})
            startup_ids.append(startup.id)
    investor_ids = []
    for username, zh, en, industries, stages, (lo, hi) in INVESTOR_ACCOUNTS:
        user = await state.users.by_username(username)
        assert user is not None
        profile = await mm.save_counterpart(user, None, "investor", {
            "name_zh": zh, "name_en": en, "organisation": zh, "industries": industries, "stages": stages,
            "ticket_min": lo, "ticket_max": hi, "region": "北京", "description": f"{zh}关注{'、'.join(industries)}"})
        investor_ids.append((user, profile.id))
    for zh, en, industries, stages, (lo, hi) in INVESTORS:
        await mm.save_counterpart(admin, None, "investor", {
            "name_zh": zh, "name_en": en, "organisation": zh, "industries": industries, "stages": stages,
            "ticket_min": lo, "ticket_max": hi, "region": "北京"})
    deadline = state.calendar.today() + timedelta(days=90)
    for zh, en, firm, industries, description in FIRM_CALLS:
        await mm.save_counterpart(admin, None, "firm_call", {
            "name_zh": zh, "name_en": en, "organisation": firm, "industries": industries,
            "description": description, "deadline": deadline})
    for zh, en, services, description in PROVIDERS:
        await mm.save_counterpart(admin, None, "provider", {
            "name_zh": zh, "name_en": en, "organisation": zh, "services": services, "description": description})
    # A concluded match: startup01 (ChainTrust) and investor01 talked and signed.
    founder = await state.users.by_username("startup01")
    investor, fund_id = investor_ids[0]
    assert founder is not None
    await mm.decide(founder, "demo-startup-01", fund_id, Decision.interested)
    match, _ = await mm.decide(investor, "demo-startup-01", fund_id, Decision.interested)
    assert match is not None
    await mm.send_message(founder, match.id, "您好，我们正在进行A轮融资，想约您详细交流。")
    await mm.send_message(investor, match.id, "很感兴趣，下周三下午在金融街见面如何？")
    await mm.record_cooperation(investor, {"match_id": match.id, "type": "investment", "amount": 1000.0,
                                           "signed_on": state.calendar.today(), "note": "A轮领投"})
    # A session organised by the fintech incubator's manager, scheduled optimally.
    manager = await state.users.by_username("manager01")
    assert manager is not None
    start = (state.calendar.now() + timedelta(days=14)).replace(hour=1, minute=30, second=0, microsecond=0)
    session = await mm.create_session(manager, {
        "title": "金融科技投融资对接会 Fintech investor matchmaking", "meeting_minutes": 20,
        "slots": [start + timedelta(minutes=30 * k) for k in range(6)], "incubator_id": manager.incubator_id,
        "startups": [{"party_id": s} for s in startup_ids[:24]],
        "counterparts": [{"party_id": cid} for _, cid in investor_ids], "startup_capacity": 2,
        "counterpart_capacity": 6})
    await mm.assign_session(manager, session.id)

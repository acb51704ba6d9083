using System.Text.Json.Nodes;

namespace Dispatcher.Tests.Support;

/// <summary>
/// Chat jobs in Chinese, Japanese and Korean in turn: a system message and a request to summarise
/// or answer about a passage of one to sixteen sentences, so prompts run from a few dozen to several
/// hundred tokens. The heuristic (four characters a token) undercounts such text three to four
/// times; a deployment with a real tokenizer counts it as the provider does.
/// </summary>
internal static class CjkJobs
{
    private static readonly Language[] Languages =
    [
        new(
            "你是一个简洁、准确的助手。",
            ["请根据以下内容写一段简短的摘要。", "请列出以下内容中的三个要点。", "以下内容中有哪些值得注意的风险？"],
            [
                "人工智能正在改变各行各业的工作方式，从医疗诊断到金融风险评估都有广泛的应用。",
                "近年来，城市交通拥堵问题日益严重，许多城市开始推广公共交通和共享单车。",
                "气候变化导致极端天气事件频繁发生，农业生产面临前所未有的挑战。",
                "这家公司在第三季度的营业收入同比增长了百分之十二，主要得益于海外市场的扩张。",
                "传统中医强调整体观念和辨证施治，与现代医学形成了互补关系。",
                "在线教育平台的用户数量在过去三年中翻了一番，但学习效果仍有待评估。",
                "长江流域是中国经济最发达的地区之一，拥有众多重要的工业城市。",
                "数据隐私保护已成为各国立法的重点，企业需要建立完善的合规体系。",
            ]),
        new(
            "あなたは簡潔で正確なアシスタントです。",
            ["以下の文章を読んで、要点を三つにまとめてください。", "次の内容を百字程度で要約してください。", "この文章から読み取れる課題は何ですか。"],
            [
                "日本の人口は減少傾向にあり、特に地方では若者の流出が深刻な問題となっています。",
                "新しい駅ビルの開業により、周辺の商店街にも多くの観光客が訪れるようになりました。",
                "この研究では、睡眠時間と記憶力の関係について二百人の被験者を対象に調査しました。",
                "円安の影響で輸入品の価格が上昇し、家計への負担が増しています。",
                "リモートワークの普及に伴い、オフィスの在り方そのものが見直されています。",
                "地震に備えて、非常食や飲料水を最低三日分は用意しておくことが推奨されています。",
                "このソフトウェアの最新版では、処理速度が大幅に改善され、メモリ使用量も削減されました。",
                "桜の開花予想は、各地の気温の推移をもとに民間の気象会社が発表しています。",
            ]),
        new(
            "당신은 간결하고 정확한 도우미입니다.",
            ["다음 글을 읽고 핵심 내용을 세 문장으로 요약해 주세요.", "다음 내용에서 중요한 점을 목록으로 정리해 주세요.", "이 글에서 제기된 문제에 대한 해결책을 제안해 주세요."],
            [
                "서울의 아파트 가격은 금리 인상 이후 상승세가 다소 둔화되었습니다.",
                "한국 드라마와 음악은 전 세계적으로 큰 인기를 얻으며 문화 수출의 중심이 되었습니다.",
                "이번 연구는 규칙적인 운동이 스트레스 호르몬 수치를 낮춘다는 사실을 보여 주었습니다.",
                "전기차 보급이 늘어나면서 충전 인프라 확충이 시급한 과제로 떠올랐습니다.",
                "고령화 사회에 대비하기 위해 정부는 연금 제도 개혁을 추진하고 있습니다.",
                "이 제품은 방수 기능이 강화되었고 배터리 사용 시간도 두 배로 늘어났습니다.",
                "지역 축제는 관광객을 유치하고 지역 경제를 살리는 데 중요한 역할을 합니다.",
                "인공지능 번역기의 정확도는 높아졌지만 문맥을 이해하는 데에는 여전히 한계가 있습니다.",
            ]),
    ];

    private static readonly int[] MaxTokens = [64, 128, 256];

    /// <summary>The body of job <paramref name="i"/> (1-based) for model group <paramref name="model"/>.</summary>
    public static JsonObject Body(int i, string model)
    {
        var language = Languages[i % Languages.Length];
        var sentences = 1 + (i * 7 % 16);
        var passage = string.Concat(Enumerable.Range(0, sentences).Select(k => language.Sentences[(i + k) % language.Sentences.Length]));
        var instruction = language.Instructions[(i / Languages.Length) % language.Instructions.Length];
        return new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = language.System },
                new JsonObject { ["role"] = "user", ["content"] = instruction + "\n\n" + passage }),
            ["max_tokens"] = MaxTokens[i % MaxTokens.Length],
            ["temperature"] = 0.3,
        };
    }

    private sealed record Language(string System, string[] Instructions, string[] Sentences);
}

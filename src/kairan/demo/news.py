"""The demo city's news and events.

Dates are relative to the day the demo is loaded, so the site always has
recent news and upcoming events: news is ``days_ago`` old; an event falls on
the first ``weekday`` (0 Monday ... 6 Sunday) at least ``in_days`` from
today, at a Japan time of day.
"""

NEWS = [
    # (name, days_ago, title, title_en, body, body_en)
    ("bosai-kunren", 2, "市内一斉の総合防災訓練を実施します",
     "City-wide disaster drill",
     """<p>大規模地震を想定し、市内全域で総合防災訓練を実施します。当日は午前9時に防災行政無線で
訓練開始をお知らせしますので、各町内会の一時集合場所への避難にご協力ください。</p>
<p>今年度は、中央小学校で避難所の開設・運営訓練も行います。</p>""",
     """<p>A city-wide drill assuming a major earthquake will be held. Please take part in
the evacuation to your neighbourhood assembly point when the siren sounds at 9:00.</p>"""),
    ("madoguchi-nenmatsu", 5, "年末年始の市役所窓口について", "City Hall over the New Year",
     """<p>12月29日（火曜日）から1月3日（日曜日）まで、市役所本庁舎および各市民センターの窓口業務を休止します。</p>
<p>休止期間中の死亡届・出生届・婚姻届は、本庁舎1階の夜間休日受付でお預かりします。</p>""",
     """<p>City Hall and the community centres are closed from 29 December to 3 January.
Birth, death and marriage registrations are accepted at the night and holiday desk.</p>"""),
    ("influenza", 9, "高齢者インフルエンザ予防接種の受付を開始しました", "",
     """<p>65歳以上の方を対象としたインフルエンザ予防接種の受付を開始しました。
接種を希望される方は、市内の協力医療機関に直接ご予約ください。</p>""",
     ""),
    ("suido-koji", 14, "駅前通りの水道管工事に伴う通行規制", "",
     """<p>老朽化した水道管の更新工事のため、駅前通りの一部で片側交互通行となります。
工事期間中は、ご迷惑をおかけしますが、ご理解とご協力をお願いします。</p>""",
     ""),
    ("hoikusho-boshu", 20, "来年4月入所の保育所入所申込みを受け付けます",
     "Nursery applications for April",
     """<p>来年4月からの認可保育所・認定こども園の入所申込みを、11月1日から30日まで受け付けます。
申込書は、こども家庭課の窓口と市のウェブサイトで配布しています。</p>""",
     """<p>Applications for nursery places from April are accepted from 1 to 30 November.</p>"""),
    ("kinkyu-mail", 27, "防災メールの登録をお願いします", "",
     """<p>市では、避難情報や気象警報をメールでお届けする「かいらん防災メール」を配信しています。
ご家族やご近所の方にも、登録を呼びかけてください。</p>""",
     ""),
    ("shisei-daiyori", 33, "広報かいらん11月号を発行しました", "",
     """<p>広報かいらん11月号を発行しました。特集は「地域で支える子育て」です。
新聞を購読していない世帯には、市民センターと市内の郵便局で配布しています。</p>""",
     ""),
    ("sakura-kairo", 40, "さくら回廊の遊歩道を改修しました", "Riverside walk renovated",
     """<p>さくら回廊の遊歩道約800メートルを改修し、車いすやベビーカーでも通りやすくなりました。
あわせて、ベンチとトイレを新設しました。</p>""",
     """<p>800 metres of the riverside walk have been renovated for wheelchairs and
pushchairs, with new benches and toilets.</p>"""),
]

EVENTS = [
    # (name, in_days, weekday, start "HH:MM", end "HH:MM", title, title_en, place, place_en,
    #  body)
    ("bosai-kunren-2", 12, 6, "09:00", "12:00", "総合防災訓練", "City-wide disaster drill",
     "回覧板市立中央小学校 ほか市内各所", "Central Elementary School and across the city",
     "<p>地震発生を想定した避難訓練、初期消火訓練、避難所の開設訓練を行います。</p>"),
    ("illumination", 18, 5, "17:00", "22:00", "駅前イルミネーション点灯式", "Station illuminations",
     "回覧板駅 南口広場", "Kairan Station, south exit square",
     "<p>約5万球の光が駅前を彩ります。点灯式では、市内の中学生による吹奏楽の演奏があります。</p>"),
    ("mochitsuki", 25, 6, "10:00", "13:00", "東地区ふれあい餅つき大会", "",
     "東地区コミュニティセンター", "",
     "<p>地域の皆さんと一緒に餅をつきます。参加費無料、当日直接会場へお越しください。</p>"),
    ("kosodate-salon", 31, 2, "10:30", "11:30", "子育てサロン「ひだまり」", "",
     "保健センター 2階 多目的室", "",
     "<p>0歳から3歳までのお子さんと保護者の方が、気軽に集まれる場です。保健師による育児相談もあります。</p>"),
    ("marathon", 60, 6, "08:30", "14:00", "かいらん清流マラソン", "Kairan Riverside Marathon",
     "回覧板市総合体育館（スタート・ゴール）", "City Gymnasium (start and finish)",
     "<p>清流沿いを走る、10キロメートル・5キロメートル・親子2キロメートルの3部門です。"
     "参加申込みは大会事務局まで。</p>"),
]

"""The demo city's folders and pages: (path, type, fields), parents before children.

Japanese is primary; some pages have an English version and some do not, so
the "English not available" notice can be seen on the demo site.
"""

HOME_BODY = """\
<p>回覧板市の公式ウェブサイトへようこそ。市役所からのお知らせ、各種手続きのご案内、
子育て・健康・防災の情報、市内のイベントをお届けしています。</p>
<h2>よく利用されるページ</h2>
<ul>
<li><a href="/kurashi/juminhyo/">住民票の写しの請求</a></li>
<li><a href="/kurashi/gomi/">ごみの分け方・出し方</a></li>
<li><a href="/kosodate/hoikusho/">保育所の入所申込み</a></li>
<li><a href="/bosai/hinanjo/">指定避難所の一覧</a></li>
</ul>
<p>市役所の開庁時間は、平日の午前8時30分から午後5時15分までです（土日祝日・年末年始を除く）。</p>"""

HOME_BODY_EN = """\
<p>Welcome to the official website of Kairan City. Here you will find notices from
City Hall, guides to procedures, information on childcare, health and disaster
preparedness, and events in the city.</p>
<p>City Hall is open on weekdays from 8:30 to 17:15 (closed on weekends, national
holidays and over the New Year).</p>"""

FOLDERS = [
    ("/kurashi/", "くらし・手続き", "Living and procedures",
     "住民票、戸籍、税金、ごみ、住まいなど、毎日のくらしに関する手続きのご案内です。"),
    ("/kosodate/", "子育て・教育", "Childcare and education",
     "妊娠・出産から、保育所、学校まで、子育て世帯への支援をご紹介します。"),
    ("/kenko/", "健康・福祉", "Health and welfare",
     "健診・予防接種、介護保険、障害福祉など、健康と福祉の情報です。"),
    ("/bosai/", "防災・安全", "Disaster preparedness and safety",
     "避難所、ハザードマップ、日頃の備えなど、災害から命を守るための情報です。"),
    ("/kanko/", "観光・イベント", "Sightseeing and events",
     "四季の見どころと、市内で開かれるイベントのご案内です。"),
    ("/oshirase/", "お知らせ", "News",
     "市役所からの新着情報です。"),
]

PAGES = [
    # (path, title, title_en, description, body, body_en)
    ("/kurashi/juminhyo/", "住民票の写しの請求", "Requesting a certificate of residence",
     "窓口・郵送・コンビニ交付での請求方法と手数料のご案内です。",
     """<p>住民票の写しは、市民課の窓口、郵送、またはマイナンバーカードを利用したコンビニ交付で請求できます。</p>
<h2>窓口で請求する</h2>
<p>本人確認書類（運転免許証、マイナンバーカードなど）をお持ちのうえ、市役所本庁舎1階の市民課へお越しください。
代理人が請求する場合は、委任状が必要です。</p>
<h2>手数料</h2>
<table><thead><tr><th>種類</th><th>手数料</th></tr></thead>
<tbody><tr><td>窓口・郵送</td><td>1通 300円</td></tr>
<tr><td>コンビニ交付</td><td>1通 200円</td></tr></tbody></table>
<h2>コンビニ交付</h2>
<p>全国の主なコンビニエンスストアで、午前6時30分から午後11時まで取得できます。</p>""",
     """<p>You can request a copy of your certificate of residence at the Citizens Division
counter, by post, or at convenience stores with your My Number Card.</p>
<h2>Fees</h2>
<p>300 yen per copy at the counter or by post; 200 yen per copy at a convenience store.</p>"""),
    ("/kurashi/gomi/", "ごみの分け方・出し方", "Sorting and putting out rubbish",
     "家庭ごみの分別区分と収集日、出し方のルールです。",
     """<p>家庭ごみは、次の区分に分けて、収集日の朝8時30分までに決められた集積所へ出してください。</p>
<ul><li>燃やすごみ（週2回）</li><li>燃やさないごみ（月1回）</li>
<li>資源物（びん・缶・ペットボトル、古紙）（週1回）</li><li>粗大ごみ（事前申込制）</li></ul>
<p>地区ごとの収集日は、毎年3月に全戸配布する「ごみカレンダー」でご確認ください。
転入された方には、市民課の窓口でお渡ししています。</p>""",
     """<p>Please sort household rubbish into burnable, non-burnable, recyclables and
oversized items, and put it out at your collection point by 8:30 on the collection day.</p>"""),
    ("/kurashi/mynumber/", "マイナンバーカード", "",
     "マイナンバーカードの申請・受け取り・更新の手続きです。",
     """<p>マイナンバーカードは、本人確認書類として使えるほか、コンビニ交付やオンライン申請に利用できます。</p>
<h2>受け取り</h2>
<p>交付通知書が届いたら、予約のうえ市民課へお越しください。平日の窓口が難しい方のため、
毎月第2・第4日曜日の午前中にも受け取り窓口を開いています。</p>
<h2>電子証明書の更新</h2>
<p>電子証明書の有効期限は、発行日から5回目の誕生日までです。期限の2〜3か月前に届く通知をお持ちください。</p>""",
     ""),
    ("/kurashi/zeikin/", "市税の納付", "Paying city taxes",
     "市県民税・固定資産税・軽自動車税の納付方法です。",
     """<p>市税は、納付書による金融機関・コンビニでの納付のほか、口座振替、スマートフォン決済でも納付できます。</p>
<p>口座振替をご希望の方は、通帳と届出印をお持ちのうえ、取扱金融機関または税務課でお申し込みください。
手続きには1〜2か月かかります。</p>""",
     """<p>City taxes can be paid at banks and convenience stores with the payment slip,
by direct debit, or by smartphone payment apps.</p>"""),
    ("/kosodate/hoikusho/", "保育所の入所申込み", "Applying for a nursery place",
     "認可保育所・認定こども園の入所申込みの時期と方法です。",
     """<p>4月からの入所申込みは、前年の11月1日から11月30日まで受け付けます。年度の途中からの入所は、
入所を希望する月の前月10日までにお申し込みください。</p>
<h2>必要な書類</h2>
<ul><li>教育・保育給付認定申請書兼入所申込書</li><li>保育が必要なことを証明する書類（就労証明書など）</li></ul>
<p>ご不明な点は、こども家庭課 保育係までお問い合わせください。</p>""",
     """<p>Applications for places from April are accepted from 1 to 30 November of the
previous year. For a start during the year, apply by the 10th of the previous month.</p>"""),
    ("/kosodate/jidoteate/", "児童手当", "",
     "高校生年代までのお子さんを養育している方への手当です。",
     """<p>児童手当は、高校生年代（18歳到達後の最初の3月31日まで）のお子さんを養育している方に支給されます。</p>
<p>出生や転入の際は、翌日から15日以内に申請してください。申請が遅れると、遅れた月分の手当を受けられない場合があります。</p>""",
     ""),
    ("/kosodate/nyugaku/", "小・中学校への入学", "",
     "新入学の通知と就学時健康診断のご案内です。",
     """<p>来年4月に小学校へ入学するお子さんのいるご家庭には、10月に就学時健康診断のご案内を、
1月に入学通知書をお送りします。</p>
<p>通学区域外の学校への就学を希望される場合は、教育委員会 学校教育課にご相談ください。</p>""",
     ""),
    ("/kenko/kenshin/", "特定健診・がん検診", "Health check-ups and cancer screening",
     "40歳以上の方の特定健診と、各種がん検診の日程です。",
     """<p>国民健康保険に加入している40歳から74歳の方は、年に1回、特定健診を無料で受けられます。
受診券は5月下旬にお送りします。</p>
<p>胃がん・大腸がん・肺がん・乳がん・子宮頸がん検診は、市内の協力医療機関または保健センターで受けられます。
70歳以上の方は自己負担金が免除されます。</p>""",
     """<p>Residents aged 40 to 74 with National Health Insurance can have a free
check-up once a year. Cancer screenings are available at clinics in the city.</p>"""),
    ("/kenko/yobosesshu/", "予防接種", "",
     "子どもの定期予防接種と、高齢者のインフルエンザ予防接種です。",
     """<p>お子さんの定期予防接種は、市内の協力医療機関で個別に受けられます。予診票は、
出生届の提出後にお送りする「子育てガイドブック」に綴じ込んでいます。</p>
<p>65歳以上の方のインフルエンザ予防接種は、10月1日から翌年1月31日まで、自己負担1,500円で受けられます。</p>""",
     ""),
    ("/kenko/kaigo/", "介護保険", "Long-term care insurance",
     "要介護認定の申請と、介護サービスの利用方法です。",
     """<p>介護が必要になったときは、高齢福祉課または地域包括支援センターにご相談ください。
要介護認定の申請から結果の通知まで、通常30日程度かかります。</p>""",
     """<p>If you or a family member need care, please consult the Elderly Welfare
Division or your community general support centre.</p>"""),
    ("/bosai/hinanjo/", "指定避難所の一覧", "Designated evacuation shelters",
     "市内の指定避難所と指定緊急避難場所です。",
     """<p>災害時には、次の施設が指定避難所として開設されます。開設状況は、防災行政無線と市のウェブサイトでお知らせします。</p>
<table><thead><tr><th>施設名</th><th>所在地</th><th>想定する災害</th></tr></thead>
<tbody>
<tr><td>回覧板市立中央小学校</td><td>本町2丁目5番1号</td><td>地震・洪水</td></tr>
<tr><td>回覧板市総合体育館</td><td>緑が丘1丁目1番</td><td>地震・洪水・土砂災害</td></tr>
<tr><td>東地区コミュニティセンター</td><td>東町3丁目12番8号</td><td>地震</td></tr>
</tbody></table>
<p>ペットと一緒に避難される方は、ケージやリード、フードをご用意ください。</p>""",
     """<p>In a disaster, the city opens the following shelters: Central Elementary School,
the City Gymnasium and the East District Community Centre. Announcements are made by the
disaster radio and on this website.</p>"""),
    ("/bosai/hazardmap/", "ハザードマップ", "",
     "洪水・土砂災害・地震のハザードマップです。",
     """<p>市では、洪水・土砂災害・地震の危険度を示したハザードマップを作成し、全戸に配布しています。
お住まいの地域の危険と避難先を、家族で確認しておきましょう。</p>
<p>冊子が必要な方は、危機管理課または各地区の市民センターでお受け取りください。</p>""",
     ""),
    ("/kanko/midokoro/", "四季の見どころ", "Seasonal sights",
     "桜並木、紅葉の渓谷、冬のイルミネーションなど、回覧板市の見どころです。",
     """<p>春は川沿い約2キロメートルにわたる「さくら回廊」、夏は清流でのあゆ釣り、
秋は紅葉の「もみじ渓谷」、冬は駅前のイルミネーションと、一年を通じて楽しめます。</p>
<p>市観光協会では、ボランティアガイドによる街歩きツアー（要予約・無料）を行っています。</p>""",
     """<p>Cherry blossoms along the river in spring, sweetfish in summer, the autumn
leaves of Momiji Gorge and the station illuminations in winter: Kairan City has
something in every season.</p>"""),
]

LINKS = [
    # (path, title, title_en, description, url)
    ("/kurashi/online/", "オンライン申請（マイナポータル）", "Online applications (Mynaportal)",
     "マイナンバーカードを使って、自宅から申請できる手続きです。", "https://myna.go.jp/"),
]

# Two pages that are not published, to show the workflow: (path, title, state, body)
WORKFLOW_PAGES = [
    ("/oshirase/yosan-gaiyo/", "令和9年度 当初予算案の概要（作成中）", "private",
     "<p>令和9年度当初予算案の概要をまとめています。財政課の確認後に公開します。</p>"),
    ("/kurashi/sodaigomi-online/", "粗大ごみのインターネット受付を始めます", "pending",
     "<p>来年4月から、粗大ごみの収集申込みをインターネットで24時間受け付けます。"
     "電話での受付も引き続き行います。</p>"),
]

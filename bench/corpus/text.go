package corpus

import (
	"math/rand/v2"
	"strings"
)

// The words of the corpus: what federations write about the Digital
// Morocco Pact, in French and in Arabic (Modern Standard, as Moroccan
// administrations write it), combined at random so that titles and texts
// differ while staying plausible.

var frActions = []string{"Généraliser", "Accélérer", "Simplifier", "Financer", "Former aux métiers de", "Ouvrir", "Sécuriser",
	"Dématérialiser", "Moderniser", "Labelliser", "Mutualiser", "Évaluer"}

var frObjects = []string{"la signature électronique", "le guichet unique des PME", "les données publiques", "le cloud souverain",
	"la fibre optique", "le paiement mobile", "l'identité numérique", "les marchés publics", "la cybersécurité",
	"l'intelligence artificielle", "les start-up", "la e-santé", "l'e-éducation", "l'état civil", "la 5G"}

var frPlaces = []string{"dans les régions", "à Casablanca-Settat", "dans l'Oriental", "à Souss-Massa", "dans les communes rurales",
	"pour les coopératives", "pour les jeunes diplômés", "dans les administrations", "pour les TPE", "à Tanger-Tétouan-Al Hoceïma"}

var frSentences = []string{
	"La mesure réduit les délais de traitement pour les citoyens et les entreprises.",
	"Les fédérations proposent un calendrier de mise en œuvre sur trois ans, avec des indicateurs publics.",
	"Le financement s'appuie sur le Fonds de développement du numérique et sur des partenariats public-privé.",
	"Une attention particulière est portée aux régions éloignées de l'axe Casablanca-Rabat.",
	"Les données restent hébergées au Maroc, conformément à la loi 05-20 relative à la cybersécurité.",
	"L'État publie chaque trimestre l'avancement de la mesure et les difficultés rencontrées.",
	"Les PME accèdent à la commande publique avec des dossiers simplifiés et un suivi en ligne.",
	"La Commission nationale de contrôle de la protection des données à caractère personnel est consultée.",
	"Un comité de pilotage réunit le ministère, les fédérations et les régions tous les six mois.",
	"Les formations sont certifiantes et reconnues par l'OFPPT et les universités.",
}

var arActions = []string{"تعميم", "تسريع", "تبسيط", "تمويل", "تكوين الشباب في", "فتح", "تأمين", "رقمنة", "تحديث", "توحيد", "تقييم"}

var arObjects = []string{"التوقيع الإلكتروني", "الشباك الوحيد للمقاولات الصغرى", "المعطيات العمومية", "الحوسبة السحابية السيادية",
	"الألياف البصرية", "الأداء عبر الهاتف المحمول", "الهوية الرقمية", "الصفقات العمومية", "الأمن السيبراني",
	"الذكاء الاصطناعي", "المقاولات الناشئة", "الصحة الرقمية", "الحالة المدنية", "شبكة الجيل الخامس"}

var arPlaces = []string{"في الجهات", "بجهة الدار البيضاء سطات", "بجهة الشرق", "بجهة سوس ماسة", "في الجماعات القروية",
	"لفائدة التعاونيات", "لفائدة الشباب حاملي الشهادات", "في الإدارات العمومية", "لفائدة المقاولات الصغيرة جدا"}

var arSentences = []string{
	"يقلص هذا التدبير آجال معالجة طلبات المواطنين والمقاولات.",
	"تقترح الفيدراليات جدولة زمنية للتنفيذ على مدى ثلاث سنوات مع مؤشرات منشورة.",
	"يعتمد التمويل على صندوق تنمية الرقمنة وعلى شراكات بين القطاعين العام والخاص.",
	"يولى اهتمام خاص للجهات البعيدة عن محور الدار البيضاء الرباط.",
	"تبقى المعطيات مستضافة بالمغرب طبقا للقانون 05.20 المتعلق بالأمن السيبراني.",
	"تنشر الدولة كل ثلاثة أشهر مدى تقدم التدبير والصعوبات المسجلة.",
	"تلج المقاولات الصغرى والمتوسطة إلى الطلبيات العمومية بملفات مبسطة وتتبع عبر الإنترنت.",
	"تستشار اللجنة الوطنية لمراقبة حماية المعطيات ذات الطابع الشخصي.",
	"تجتمع لجنة للقيادة تضم الوزارة والفيدراليات والجهات كل ستة أشهر.",
	"التكوينات مشهود بها ومعترف بها من طرف مكتب التكوين المهني والجامعات.",
}

var frComments = []string{
	"Quel calendrier pour les régions ?", "D'accord sur le principe, mais le coût n'est pas chiffré.",
	"Il faudrait associer les collectivités territoriales dès le départ.", "Proposition : un pilote dans deux régions avant la généralisation.",
	"Les indicateurs sont à préciser, voir [la note de cadrage](https://www.maroc.ma/).", "**Point clé** : la protection des données personnelles.",
	"Merci pour cette version, elle répond à nos remarques.", "Peut-on ajouter les coopératives à la cible ?",
}

var arComments = []string{
	"ما هو الجدول الزمني بالنسبة للجهات؟", "متفقون على المبدأ، لكن الكلفة غير محددة.",
	"يجب إشراك الجماعات الترابية منذ البداية.", "اقتراح: تجربة نموذجية في جهتين قبل التعميم.",
	"ينبغي تدقيق المؤشرات.", "**نقطة أساسية**: حماية المعطيات الشخصية.", "شكرا على هذه الصيغة، فهي تجيب عن ملاحظاتنا.",
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// title writes a measure's title, French or Arabic.
func title(r *rand.Rand, arabic bool) string {
	if arabic {
		return pick(r, arActions) + " " + pick(r, arObjects) + " " + pick(r, arPlaces)
	}
	return pick(r, frActions) + " " + pick(r, frObjects) + " " + pick(r, frPlaces)
}

// body writes a measure's Markdown text: a few sections of a few sentences.
func body(r *rand.Rand, arabic bool, sections int) string {
	sentences, heading := frSentences, "Objet"
	if arabic {
		sentences, heading = arSentences, "الموضوع"
	}
	var b strings.Builder
	for s := 0; s < sections; s++ {
		b.WriteString("## " + heading + "\n\n")
		for i := 0; i < 3+r.IntN(3); i++ {
			b.WriteString(pick(r, sentences))
			b.WriteByte(' ')
		}
		b.WriteString("\n\n")
	}
	return strings.TrimSpace(b.String())
}

// comment writes a comment's Markdown.
func comment(r *rand.Rand, arabic bool) string {
	if arabic {
		return pick(r, arComments) + " " + pick(r, arSentences)
	}
	return pick(r, frComments) + " " + pick(r, frSentences)
}

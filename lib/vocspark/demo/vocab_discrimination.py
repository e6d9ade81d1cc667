"""Spanish sentences for the demo's planted discrimination labels (tweets).

A share of the on-topic Spanish tweets gets one extra sentence: either a discriminatory remark in one of seven
categories, or a *respectful* mention of the same groups (hard negatives: the group words alone must not decide
the label, what is said about them must). The sentences are mild, synthetic and contain no slurs; none of them
contains a tweet keyword or a word the tweet sentiment tests look for.

Each category mixes its own group words with claims shared across categories, so a classifier has to combine the
two: the group says which category, the claim says whether the remark discriminates.
"""
from __future__ import annotations

from vocspark.demo.text import words as w

CATEGORIES = ("racismo", "xenofobia", "machismo", "lgtbifobia", "capacitismo", "edadismo", "aporofobia")
DISCRIMINATORY_SHARE = 0.15  # of the on-topic Spanish tweets
RESPECTFUL_SHARE = 0.10  # hard negatives: the groups mentioned without discrimination

GROUPS = {
    "racismo": w("los negros|la gente de color|los gitanos|los moros|los asiáticos|los indígenas"),
    "xenofobia": w("los inmigrantes|los extranjeros|los sudacas recién llegados|los venezolanos|los marroquíes|los rumanos"),
    "machismo": w("las mujeres|las chicas|las señoras|las feministas|las madres trabajadoras"),
    "lgtbifobia": w("los gais|las lesbianas|las personas trans|los del orgullo|las parejas homosexuales"),
    "capacitismo": w("los discapacitados|los minusválidos|los que van en silla de ruedas|los sordos|los ciegos"),
    "edadismo": w("los viejos|los jubilados|los abuelos|las personas mayores|los boomers"),
    "aporofobia": w("los pobres|los mendigos|los sin techo|los que viven de ayudas|la gente de barrio humilde"),
}

CLAIMS = w(
    "no deberían atender al público|no sirven para este trabajo|deberían quedarse en su casa|"
    "son unos vagos y unos inútiles|no tendrían que poder comprar aquí|dan asco, que los echen|"
    "son todos iguales, unos parásitos|no merecen ni que los contraten|sobran en esta empresa|"
    "solo traen problemas, fuera de aquí"
)
# Claims that only make sense for one category (the category's own stereotype).
OWN_CLAIMS = {
    "racismo": w("huelen raro y roban|que se vuelvan a su tierra, aquí no pintan nada"),
    "xenofobia": w("vienen a quitarnos el trabajo|que vuelvan a su país, aquí sobran"),
    "machismo": w("deberían estar en la cocina y no en un almacén|no saben conducir una furgoneta, mejor que friegue"),
    "lgtbifobia": w("son una enfermedad, que no se besen en público|dan mal ejemplo a los niños"),
    "capacitismo": w("son una carga, que no los pongan de cara al público|estorban en la fila de caja"),
    "edadismo": w("ya no sirven para nada, que se jubilen|deberían dejar paso, no entienden la app"),
    "aporofobia": w("no tienen derecho a quejarse si no pagan|que no entren, espantan a los clientes"),
}
RESPECTFUL = w(
    "merecen el mismo trato que cualquier cliente|trabajan con mucha profesionalidad|"
    "tienen todo el derecho a comprar aquí|forman parte del equipo y se nota|"
    "deberían tener mejor acceso a la atención|aportan mucho a esta empresa|"
    "también son clientes y hay que respetarlos"
)
OPENERS = w("Vaya,|La verdad es que|Lo digo claro:|Ojo,|Sinceramente,|Pues mira,")


def templates(category: str, discriminatory: bool) -> list[str]:
    if discriminatory:
        return ["{grp} {claim}.", "{opener} {grp} {claim}.", "{grp} {own}.", "{opener} {grp} {own}."]
    return ["{grp} {ok}.", "{opener} {grp} {ok}."]


def vocab(category: str) -> dict[str, list[str]]:
    return {"grp": GROUPS[category], "claim": CLAIMS, "own": OWN_CLAIMS[category], "ok": RESPECTFUL,
            "opener": OPENERS}

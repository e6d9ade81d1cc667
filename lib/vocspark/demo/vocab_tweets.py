"""Spanish and English vocabulary of the tweets about the online store MercaNova.

Each subject has its own sentences per sentiment and language; relevant tweets mention at least one keyword of
``sources.tweets.keywords`` as a whole word (the generator checks and appends a keyword hashtag when a tweet
happens to have none); off-topic tweets use words that contain none of the keywords, not even inside a word.
"""
from __future__ import annotations

from vocspark.demo.text import words as w

BRAND = "MercaNova"
SUBJECTS = ("delivery", "refund", "customer_service", "product_quality", "price", "website_app")
SUBJECT_SHARES = (0.28, 0.14, 0.18, 0.16, 0.12, 0.12)
SENTIMENTS = ("positive", "neutral", "negative")
SENTIMENT_SHARES = (0.64, 0.16, 0.20)  # neutral + negative = needs support: 36 %

# Keywords of conf/local.yaml `sources.tweets.keywords` (a test keeps the two equal).
KEYWORDS = ("loja", "tienda", "store", "envío", "envio", "pedido", "order", "delivery", "entrega", "producto",
            "product", "reembolso", "refund", "soporte", "support", "servicio", "service")

COMMON = {
    "es": {
        "n": w("2|3|4|5|6|7|8|10|12|15"),
        "city": w("Madrid|Barcelona|Sevilla|Valencia|Bilbao|CDMX|Guadalajara|Bogotá|Lima|Santiago|Buenos Aires"),
        "prod": w("móvil|portátil|reloj|abrigo|colchón|microondas|televisor|vestido|bolso|teclado"),
        "event": w("el Black Friday|el Cyber Monday|rebajas de verano|Navidad|el Día de la Madre"),
    },
    "en": {
        "n": w("2|3|4|5|6|7|8|10|12|15"),
        "city": w("Miami|Houston|Chicago|Boston|Denver|Seattle|Atlanta|Austin|Phoenix|Dallas"),
        "prod": w("phone|laptop|watch|coat|mattress|microwave|TV|dress|bag|keyboard"),
        "event": w("Black Friday|Cyber Monday|the summer sale|Christmas|Mother's Day"),
    },
}

# CORES[lang][subject][sentiment]: full sentences, capitalised, with final punctuation.
CORES: dict[str, dict[str, dict[str, list[str]]]] = {
    "es": {
        "delivery": {
            "positive": ["Mi pedido llegó antes de lo previsto.", "El envío fue rapidísimo, en {n} días lo tenía en casa.",
                         "La entrega llegó perfecta y bien empaquetada.", "Súper puntual el repartidor con mi pedido.",
                         "Envío gratis y en {n} días a {city}, genial."],
            "neutral": ["¿Alguien sabe cuánto tarda el envío a {city}?", "Mi pedido sigue en tránsito, ¿me confirman la fecha de entrega?",
                        "¿Hacen envío gratis a {city}?", "¿Puedo cambiar la dirección de entrega de mi pedido?"],
            "negative": ["Mi pedido lleva {n} días de retraso y nadie responde.", "El envío nunca llegó y ya pagué.",
                         "Marcaron el pedido como entregado pero no recibí nada.", "La entrega se retrasó otra vez, qué desastre.",
                         "El repartidor dejó mi pedido tirado en la calle."],
        },
        "refund": {
            "positive": ["Me devolvieron el dinero en {n} días, gracias.", "El reembolso llegó rapidísimo a mi tarjeta.",
                         "Devolución sin problemas, me reembolsó todo el importe.", "Pedí el reembolso del {prod} y lo tuve al día siguiente."],
            "neutral": ["¿Cuánto tarda el reembolso a la tarjeta?", "Hice una devolución, ¿cómo sé si ya procesaron el reembolso?",
                        "¿El reembolso incluye los gastos de envío?", "¿Puedo pedir reembolso si abrí la caja?"],
            "negative": ["Llevo {n} semanas esperando mi reembolso.", "Me rechazaron el reembolso sin explicación.",
                         "Devolví el {prod} hace un mes y nada de reembolso.", "Quiero mi reembolso ya, es un robo."],
        },
        "customer_service": {
            "positive": ["La atención al cliente fue excelente, me resolvieron todo.", "Gracias al equipo de soporte por la ayuda.",
                         "Muy amable la chica del chat de servicio al cliente.", "El soporte me respondió en {n} minutos, así da gusto."],
            "neutral": ["¿Cuál es el horario de atención del soporte?", "¿Tienen un teléfono de servicio al cliente?",
                        "Escribí al soporte, espero respuesta.", "¿Por dónde contacto con atención al cliente?"],
            "negative": ["Pésima atención, nadie contesta en el chat de soporte.", "El servicio al cliente es un desastre, me colgaron dos veces.",
                         "Llevo {n} días esperando respuesta del soporte.", "El servicio de atención es lo peor que he visto."],
        },
        "product_quality": {
            "positive": ["La calidad del producto es increíble.", "El {prod} es de muy buena calidad, tal cual la foto.",
                         "El producto superó mis expectativas.", "Llevo {n} meses con el {prod} y funciona perfecto."],
            "neutral": ["¿El {prod} viene con garantía?", "¿De qué material es el producto?",
                        "El producto está bien, nada especial.", "¿Alguien ha probado el {prod} de la tienda?"],
            "negative": ["El producto llegó roto.", "La calidad es pésima, el {prod} se rompió en {n} días.",
                         "El {prod} no se parece nada a la foto del producto.", "Producto defectuoso y encima sin instrucciones."],
        },
        "price": {
            "positive": ["Precios buenísimos en la tienda esta semana.", "Encontré el {prod} a mitad de precio, genial.",
                         "Las ofertas de la tienda están increíbles.", "El cupón me ahorró un montón en el pedido."],
            "neutral": ["¿Van a tener descuentos en {event}?", "¿El precio incluye el envío?",
                        "¿El cupón sirve para cualquier producto?", "¿Cuándo empiezan las ofertas de la tienda?"],
            "negative": ["Subieron los precios de la tienda otra vez.", "Me cobraron más de lo que decía el precio.",
                         "El descuento no se aplicó a mi pedido.", "El {prod} cuesta el doble que en otra tienda."],
        },
        "website_app": {
            "positive": ["La nueva app de la tienda funciona de maravilla.", "Comprar en la web de la tienda es facilísimo.",
                         "Me encanta el nuevo diseño de la app, hice el pedido en un minuto."],
            "neutral": ["¿La app de la tienda tiene modo oscuro?", "¿Dónde veo mis pedidos en la web?",
                        "Actualicé la app, ¿alguien más ve el cambio en el pedido?"],
            "negative": ["La app se cierra sola al pagar el pedido.", "La web está caída y no puedo terminar mi pedido.",
                         "No puedo iniciar sesión en la app de la tienda.", "La app de la tienda es lentísima."],
        },
    },
    "en": {
        "delivery": {
            "positive": ["My order arrived a day early!", "Delivery was super fast, {n} days to {city}.",
                         "The package came in perfect condition, great delivery.", "Free delivery and the driver was so friendly."],
            "neutral": ["How long does delivery to {city} usually take?", "My order is still in transit, any update on the delivery date?",
                        "Do you offer free delivery to {city}?", "Can I change the delivery address of my order?"],
            "negative": ["My order is {n} days late and nobody answers.", "The delivery never showed up and I already paid.",
                         "It says delivered but I never got my order.", "Delivery delayed again, what a mess."],
        },
        "refund": {
            "positive": ["Got my refund in {n} days, thank you.", "The refund hit my card the next day, impressive.",
                         "Easy return and a full refund, no questions asked."],
            "neutral": ["How long does a refund to the card take?", "I sent a return, how do I know the refund was processed?",
                        "Does the refund include the delivery fee?"],
            "negative": ["Still waiting for my refund after {n} weeks.", "They denied my refund with no explanation.",
                         "Returned the {prod} a month ago and still no refund.", "I want my refund now, this is theft."],
        },
        "customer_service": {
            "positive": ["Customer service was excellent, they fixed everything.", "Thanks to the support team for the help.",
                         "The support agent on chat was so kind.", "Support answered in {n} minutes, amazing service."],
            "neutral": ["What are the customer service hours?", "Is there a phone number for support?",
                        "Emailed support, waiting for an answer.", "How do I reach customer service?"],
            "negative": ["Terrible customer service, nobody answers the chat.", "Support hung up on me twice.",
                         "Waiting {n} days for a reply from support.", "Worst customer service I have ever seen."],
        },
        "product_quality": {
            "positive": ["The product quality is incredible.", "The {prod} is really well made, just like the photo.",
                         "This product exceeded my expectations.", "{n} months with the {prod} and it works perfectly."],
            "neutral": ["Does the {prod} come with a warranty?", "What material is the product made of?",
                        "The product is fine, nothing special.", "Has anyone tried the {prod} from the store?"],
            "negative": ["The product arrived broken.", "Awful quality, the {prod} broke in {n} days.",
                         "The {prod} looks nothing like the product photo.", "Defective product and no manual."],
        },
        "price": {
            "positive": ["Great prices at the store this week.", "Got the {prod} for half price, love it.",
                         "The store deals are amazing right now.", "The coupon saved me a lot on my order."],
            "neutral": ["Will you have discounts for {event}?", "Does the price include delivery?",
                        "Does the coupon work on any product?", "When does the store sale start?"],
            "negative": ["The store raised prices again.", "I was charged more than the listed price.",
                         "The discount was not applied to my order.", "The {prod} costs twice as much as in another store."],
        },
        "website_app": {
            "positive": ["The new store app works like a charm.", "Ordering on the website is so easy.",
                         "Love the new app design, placed my order in a minute."],
            "neutral": ["Does the store app have dark mode?", "Where do I see my orders on the website?",
                        "Updated the app, anyone else see the new order page?"],
            "negative": ["The app crashes when I pay for my order.", "The website is down and I cannot finish my order.",
                         "Cannot log in to the store app.", "The store app is painfully slow."],
        },
    },
}

PREFIXES = {
    "es": ["", "", "@MercaNova ", "@MercaNovaAyuda ", "Hola @MercaNova! ", "Oye @MercaNova "],
    "en": ["", "", "@MercaNova ", "@MercaNovaHelp ", "Hey @MercaNova! ", "Hi @MercaNova "],
}
CLOSERS = {
    "es": {
        "positive": ["¡Gracias!", "Los recomiendo 100%.", "¡Volveré a comprar!", "Así da gusto."],
        "neutral": ["Gracias de antemano.", "¿Alguien sabe?", "Quedo atento.", "Saludos."],
        "negative": ["Qué vergüenza.", "Nunca más.", "Exijo una solución ya.", "Estoy harto.", "Vaya atención."],
    },
    "en": {
        "positive": ["Thanks!", "Highly recommend.", "Will buy again!", "Love it."],
        "neutral": ["Thanks in advance.", "Anyone know?", "Waiting for an answer.", "Cheers."],
        "negative": ["Never again.", "Unacceptable.", "Fix this now.", "So frustrated.", "Shame on you."],
    },
}
HASHTAGS = {
    "es": {
        "delivery": ["#envío", "#pedido", "#entrega"], "refund": ["#reembolso", "#devolución"],
        "customer_service": ["#atención", "#soporte"], "product_quality": ["#calidad", "#producto"],
        "price": ["#precios", "#ofertas"], "website_app": ["#app", "#web"],
    },
    "en": {
        "delivery": ["#delivery", "#order"], "refund": ["#refund", "#returns"],
        "customer_service": ["#support", "#customerservice"], "product_quality": ["#quality", "#product"],
        "price": ["#deals", "#prices"], "website_app": ["#app", "#website"],
    },
}
BRAND_HASHTAGS = ["#MercaNova", "#compras", "#shopping"]
# Appended when an on-topic tweet happens to mention no keyword: a keyword hashtag of its subject.
KEYWORD_HASHTAGS = {
    "es": {"delivery": ["#envío", "#entrega", "#pedido"], "refund": ["#reembolso"],
           "customer_service": ["#soporte", "#servicio"], "product_quality": ["#producto"],
           "price": ["#tienda", "#pedido"], "website_app": ["#tienda", "#pedido"]},
    "en": {"delivery": ["#delivery", "#order"], "refund": ["#refund"], "customer_service": ["#support", "#service"],
           "product_quality": ["#product"], "price": ["#store", "#order"], "website_app": ["#store", "#order"]},
}
EMOJI = {
    "positive": w("😍|🙌|👏|💯|🥰|✨|❤️"),
    "neutral": w("🤔|🙏|👀"),
    "negative": w("😡|😤|👎|💔|🙄|🤬"),
}

# Off-topic tweets (about 10 %): none of the keywords, not even inside a word.
OFF_TOPIC = {
    "es": ["¡Qué partidazo anoche, vamos {team}! ⚽", "Hoy llueve muchísimo en {city}.", "¿Alguien recomienda una serie para el finde?",
           "Feliz cumpleaños a mi hermana 🎂", "Lunes otra vez, necesito un café ☕", "Qué calor hace en {city} 🥵",
           "Mañana examen de matemáticas, deseadme suerte.", "El concierto de anoche en {city} fue brutal 🎶",
           "Nada como una siesta los domingos.", "¿Quién más está viendo el partido del {team}?"],
    "en": ["What a game last night, go {team}! 🏀", "It is raining so hard in {city} today.", "Any good series to binge this weekend?",
           "Happy birthday to my little sister 🎂", "Monday again, I need coffee ☕", "So hot in {city} right now 🥵",
           "Math exam tomorrow, wish me luck.", "The concert in {city} last night was unreal 🎶",
           "Nothing beats a Sunday nap.", "Who else is watching the {team} game?"],
}
OFF_TOPIC_WORDS = {
    "es": {"team": w("Real Madrid|Barça|Betis|Boca|River|América|Atleti"), "city": COMMON["es"]["city"]},
    "en": {"team": w("Lakers|Celtics|Bulls|Heat|Knicks|Warriors"), "city": COMMON["en"]["city"]},
}

# Tweets in a language the pipeline drops (about 1 %): Portuguese, or undetermined (emoji, mentions, links).
PORTUGUESE = {  # subject -> sentiment -> sentences
    "delivery": {"negative": ["@MercaNova meu pedido ainda não chegou, já faz {n} dias."],
                 "positive": ["Entrega rápida, adorei @MercaNova!"]},
    "refund": {"negative": ["@MercaNova quero meu reembolso, até quando vou esperar?"],
               "positive": ["Recebi o reembolso rapidinho, obrigada @MercaNova."]},
    "customer_service": {"negative": ["@MercaNova ninguém responde no chat, que atendimento péssimo."],
                         "positive": ["Atendimento nota 10 da loja @MercaNova."]},
}
PORTUGUESE_WORDS = {"n": w("2|3|5|7|10|15")}
UNDETERMINED = ["😂😂😂", "🔥🔥🔥 @MercaNova", "@MercaNova 👀👀", "👍👍", "❤️❤️❤️ #MercaNova", "🙃", "@MercaNova 🤔🤔"]

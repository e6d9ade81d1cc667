"""Portuguese vocabulary of the Instagram-style comments on the store's posts.

Every sentence has a subject (or none, for general remarks about the store) and a category: ``praise``
(elogio: "adorei", "ótimo"), ``complaint`` (reclamação: "demora", "péssimo", "quero meu dinheiro de volta") or
``problem`` (problema: "não entregaram", "veio quebrado", "cobrança duplicada"). A comment strings 1-4 sentences
together, usually about one subject, mixing categories.
"""
from __future__ import annotations

from vocspark.demo.text import words as w

SUBJECTS = ("delivery", "refund", "customer_service", "product_quality", "price", "website_app", "payment")
# Share of users whose dominant subject is each one.
SUBJECT_SHARES = (0.24, 0.14, 0.18, 0.16, 0.10, 0.08, 0.10)
CATEGORIES = ("praise", "complaint", "problem")
CATEGORY_SHARES = (0.40, 0.33, 0.27)
SEVERITY = {"praise": 0, "complaint": 1, "problem": 2}  # a comment's category = its most severe sentence's

SENTENCES: dict[str, dict[str, list[str]]] = {
    "delivery": {
        "praise": ["Adorei, a entrega chegou antes do prazo!", "Entrega super rápida, chegou em {n} dias.",
                   "Ótimo, o entregador foi muito educado.", "Chegou tudo certinho e bem embalado, amei!",
                   "Frete grátis e entrega rápida, perfeito."],
        "complaint": ["Que demora para entregar, já faz {n} dias!", "Péssimo, o prazo de entrega nunca é cumprido.",
                      "Frete caro e ainda atrasa, absurdo.", "A transportadora é horrível, sempre atrasa.",
                      'Disseram "chega amanhã" e até agora nada.'],
        "problem": ["Não entregaram meu pedido até hoje.", "O rastreio diz entregue mas não recebi nada.",
                    "Meu pedido {order} está parado há {n} dias.", "Entregaram no endereço errado.",
                    "O pacote chegou vazio, não entregaram o produto."],
    },
    "refund": {
        "praise": ["Recebi meu reembolso rapidinho, ótimo.", "O estorno caiu no cartão em {n} dias, adorei.",
                   "Devolução fácil e dinheiro de volta sem estresse, amei.", "Ótimo, me devolveram tudo certinho."],
        "complaint": ["Quero meu dinheiro de volta!", "Estou esperando o reembolso há {n} semanas, que absurdo.",
                      "Péssimo, dificultam demais a devolução.", "Que demora para devolver meu dinheiro."],
        "problem": ["Pedi o estorno e até agora nada.", "O reembolso foi negado sem explicação.",
                    "Devolvi o produto e o dinheiro não voltou.", "Cancelei o pedido {order} e não recebi o reembolso."],
    },
    "customer_service": {
        "praise": ["Atendimento excelente, a {agent} me ajudou muito.", "Adorei o atendimento pelo chat, resolveram na hora.",
                   "Nota 10 para o SAC de vocês!", "Ótimo atendimento, super atenciosos."],
        "complaint": ["Atendimento péssimo, ninguém responde.", "Fiquei {n} horas no chat e nada, que demora.",
                      "O SAC é uma vergonha, me trataram mal.", "Péssimo atendimento, só enrolam."],
        "problem": ["Não consigo falar com o atendimento de jeito nenhum.", "O chat de atendimento não abre.",
                    "Abri {n} chamados e nenhum foi respondido.", "O telefone do SAC só dá ocupado."],
    },
    "product_quality": {
        "praise": ["O {produto} é de ótima qualidade, amei!", "Qualidade excelente, igualzinho à foto.",
                   "Produto perfeito, superou minhas expectativas.", "Adorei o {produto}, acabamento ótimo."],
        "complaint": ["Qualidade péssima, parece falsificado.", "O tecido é muito fino, que decepção.",
                      "Por esse preço esperava mais qualidade.", "Péssimo, o {produto} é bem pior que na foto."],
        "problem": ["O {produto} veio quebrado.", "Veio com defeito e parou de funcionar em {n} dias.",
                    "Mandaram o tamanho errado.", "O {produto} veio quebrado e sem manual."],
    },
    "price": {
        "praise": ["Preço ótimo, melhor que em qualquer loja!", "Adorei a promoção, economizei muito.",
                   "Com o cupom saiu baratíssimo, amei.", "Ótimo preço no {produto}, recomendo."],
        "complaint": ["Tudo muito caro, absurdo.", "Aumentaram o preço do {produto} de novo, péssimo.",
                      "A promoção é enganosa, o preço é o mesmo.", "Absurdo cobrar esse valor no frete."],
        "problem": ["O cupom de desconto não funciona.", "O preço no carrinho é diferente do anúncio.",
                    "Cobraram o frete mesmo com frete grátis.", "O desconto sumiu na hora de fechar o pedido."],
    },
    "website_app": {
        "praise": ["O app novo ficou ótimo, muito fácil de comprar.", "Adorei o site, super rápido.",
                   "Comprar pelo aplicativo é muito prático, amei.", "Ótimo, o app novo não trava mais."],
        "complaint": ["O site é muito lento, que demora.", "O aplicativo é péssimo, cheio de anúncios.",
                      "Toda atualização do app piora tudo, absurdo.", "Péssimo esse site novo, não acho nada."],
        "problem": ["O aplicativo trava na hora de pagar.", "Não consigo fazer login no site.",
                    "O carrinho esvazia sozinho no app.", "Não consigo finalizar a compra pelo app."],
    },
    "payment": {
        "praise": ["Pagamento pelo pix super rápido, adorei.", "Parcelamento sem juros, ótimo!",
                   "Pagar com cartão foi tranquilo, amei.", "Ótimo, o boleto compensou no mesmo dia."],
        "complaint": ["Absurdo cobrarem juros no parcelamento.", "Péssimo, o boleto demora {n} dias para compensar.",
                      "Que demora para aprovar o pagamento.", "Péssimo não aceitarem meu cartão."],
        "problem": ["Cobrança duplicada no meu cartão!", "O pix foi pago e o pedido continua pendente.",
                    "Meu cartão foi recusado sem motivo.", "Cobrança duplicada e ninguém resolve."],
    },
}
# General remarks about the store (no subject), with a category.
GENERAL: dict[str, list[str]] = {
    "praise": ["Nunca tive problema com a Loja.", "Sempre compro aqui e recomendo, adorei.", "Loja maravilhosa, ótima!",
               "Amo essa loja ❤️"],
    "complaint": ["Que decepção com essa loja, péssimo.", "Nunca mais compro aqui, absurdo.",
                  "Estou muito insatisfeita, que demora para resolver."],
    "problem": ["Alguém me ajuda, por favor, não consigo resolver.", "Ninguém resolve meu problema.",
                "Me respondam no direct, por favor, não consigo falar com ninguém."],
}
WORDS = {
    "n": w("2|3|4|5|6|7|8|10|12|15|20|30"),
    "produto": w("tênis|vestido|celular|fone de ouvido|liquidificador|relógio|notebook|perfume|casaco|ventilador"),
    "agent": w("Carla|Juliana|Fernanda|Patrícia|Aline|Renata"),
    "order": w("45821|77310|90215|13377|60482|28590|51936"),
}
BRAND_MENTION = "@lojamercanova"
HASHTAGS = {
    "delivery": ["#entrega", "#correios"], "refund": ["#reembolso", "#devolução"],
    "customer_service": ["#atendimento", "#sac"], "product_quality": ["#qualidade"],
    "price": ["#promoção", "#preço"], "website_app": ["#app"], "payment": ["#pix", "#pagamento"],
}
CATEGORY_HASHTAGS = {"praise": ["#recomendo"], "complaint": ["#reclamação", "#reclameaqui"], "problem": ["#socorro"]}
EMOJI = {
    "praise": w("😍|🥰|❤️|👏|✨|😊"),
    "complaint": w("😡|😤|🙄|👎"),
    "problem": w("😭|😢|🆘|😩"),
}
FIRST_NAMES = w("ana|maria|joao|pedro|lucas|julia|camila|rafael|bruna|felipe|larissa|gabriel|beatriz|thiago|"
                "fernanda|mateus|leticia|rodrigo|amanda|bruno|carol|vinicius|isabela|gustavo")
LAST_NAMES = w("silva|souza|oliveira|santos|lima|costa|pereira|almeida|ferreira|rodrigues|gomes|martins|rocha|"
               "ribeiro|carvalho|barbosa")

import time
import pytest
from fengqiao.knowledge.seed import load_articles, load_cases
from fengqiao.knowledge import assistant, search

@pytest.mark.django_db
def test_scratch():
    from fengqiao.cases.actions import ActionInvalid
    try:
        load_articles()
    except ActionInvalid as e:
        print(e.errors); raise
    t=time.time(); print(load_articles()); print(load_cases()); print('load', time.time()-t)
    search.forget()
    for q in ["老板拖欠我三个月工资不给怎么办", "楼上漏水把我家天花板泡坏了", "邻居家的狗把我咬了", "我想离婚但是老公不同意", "被车撞了保险公司不赔", "孩子上小学怎么报名", "村里的补贴被村干部扣了", "我叫张三电话13812345678 外星人入侵"]:
        t=time.time(); a=assistant.answer(q); dt=(time.time()-t)*1000
        print(q, round(dt,1), a.answered, [(h.doc.slug,h.score,h.coverage,h.matched) for h in a.articles[:3]], a.category, a.domain, [x.step for x in a.advice], [h.doc.title for h in a.cases])
    from fengqiao.knowledge.models import UnansweredQuestion
    print(list(UnansweredQuestion.objects.values_list('words', flat=True)))

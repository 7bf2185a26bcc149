"""Item types (题型): what kinds of question a bank holds, a paper delivers and scoring
scores. Pure: no models, no database."""

from enum import StrEnum


class ItemType(StrEnum):
    SINGLE_CHOICE = "single_choice"  # 单项选择题
    MULTIPLE_CHOICE = "multiple_choice"  # 多项选择题
    TRUE_FALSE = "true_false"  # 判断题
    FILL_IN = "fill_in"  # 填空题 (text alternatives or numeric with tolerance)


ITEM_TYPE_NAMES = {
    ItemType.SINGLE_CHOICE: "单项选择题",
    ItemType.MULTIPLE_CHOICE: "多项选择题",
    ItemType.TRUE_FALSE: "判断题",
    ItemType.FILL_IN: "填空题",
}


class MultipleChoiceRule(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"  # 全对得分
    PARTIAL = "partial"  # 少选按比例得分，错选不得分


# The one wording of each rule: the blueprint form, the blueprint page and the results
# breakdown all show these.
MULTIPLE_CHOICE_RULE_NAMES = {
    MultipleChoiceRule.ALL_OR_NOTHING: "多选题全对得分",
    MultipleChoiceRule.PARTIAL: "多选题少选按比例得分、错选不得分",
}

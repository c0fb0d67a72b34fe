"""What each figure means: one place, shown on the statistics page as written here."""

from flask_babel import lazy_gettext as _l

DEFINITIONS = {
    "runs_held": (
        _l("교육횟수"),
        _l("기간 안에 마지막 수업이 있었던 기수의 수. 두 달에 걸친 기수는 끝난 달에 한 번 셉니다."),
    ),
    "trainees": (
        _l("인원(실인원)"),
        _l(
            "그 기수들에서 한 번 이상 출석(지각 포함)한 사람의 수. 여러 기수를 들은 사람도 한 명입니다."  # noqa: E501
        ),
    ),
    "person_sessions": (
        _l("연인원"),
        _l("그 기수들의 출석(지각 포함) 기록 수: 사람 × 출석한 차시."),
    ),
    "hours": (_l("교육시간"), _l("그 기수들의 모든 차시 시간의 합.")),
    "attendance_rate": (
        _l("출석률"),
        _l("출석(지각 포함) ÷ (확정 수강생 × 차시 − 공결). 취소한 신청은 세지 않습니다."),
    ),
    "completion_rate": (_l("수료율"), _l("수료한 사람 ÷ 확정 수강생.")),
    "courses": (_l("교육과정"), _l("그 기수들의 서로 다른 교육과정 수.")),
}

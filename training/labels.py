"""Korean (and translated) names for the enum values people see, built per request
so that they follow the chosen language."""

from flask_babel import gettext as _

from training.accounts.models import Role
from training.catalog.models import Audience, Category, Delivery, Level, Selection
from training.enrollment.models import EnrollmentStatus


def audience_labels():
    return {Audience.RESIDENT: _("구민"), Audience.STAFF: _("직원")}


def delivery_labels():
    return {Delivery.IN_PERSON: _("집합교육"), Delivery.ONLINE: _("비대면(온라인)")}


def level_labels():
    return {Level.BEGINNER: _("입문"), Level.INTERMEDIATE: _("중급"), Level.ADVANCED: _("고급")}


def category_labels():
    return {
        Category.COMPUTER: _("컴퓨터"),
        Category.SMARTPHONE: _("스마트폰"),
        Category.VIDEO: _("영상 편집"),
        Category.IT_TRENDS: _("IT 트렌드"),
        Category.KIOSK: _("키오스크"),
        Category.CREATOR: _("유튜브 크리에이터"),
        Category.FUTURE_TECH: _("4차 산업혁명 기술"),
        Category.STAFF_IT: _("직원 IT 실무"),
    }


def selection_labels():
    return {Selection.FIRST_COME: _("선착순"), Selection.LOTTERY: _("추첨")}


def status_labels():
    return {
        EnrollmentStatus.APPLIED: _("신청(추첨 대기)"),
        EnrollmentStatus.CONFIRMED: _("수강 확정"),
        EnrollmentStatus.WAITLISTED: _("대기"),
        EnrollmentStatus.CANCELLED: _("취소"),
    }


def role_labels():
    return {
        Role.RESIDENT: _("구민"),
        Role.STAFF: _("직원"),
        Role.INSTRUCTOR: _("강사"),
        Role.ADMIN: _("관리자"),
    }

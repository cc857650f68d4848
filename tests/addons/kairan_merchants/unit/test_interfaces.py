from kairan_merchants.demo import MerchantsDemoLoader
from kairan_merchants.directory import MerchantDirectory
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_merchants.services import MerchantPersonalData
from zope.interface.verify import verifyClass, verifyObject

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan.demo.interfaces import IDemoLoader


def test_the_directory_provides_its_interface():
    assert verifyClass(IMerchantDirectory, MerchantDirectory)


def test_the_providers_provide_theirs():
    assert verifyObject(IPersonalDataProvider, MerchantPersonalData())
    assert verifyObject(IDemoLoader, MerchantsDemoLoader())
